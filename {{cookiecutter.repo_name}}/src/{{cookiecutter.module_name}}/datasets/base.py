"""The dataset building block: a named, versioned table of features and a target."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cached_property

import pandas as pd

from ..config import ConfigError


class Dataset(ABC):
    """A named table of feature columns and one target column, identified by its content.

    Modelled on PyTorch's ``Dataset``: a subclass only says how to get the data, and the base
    class gives every dataset the same interface (``features``, ``target``, ``len()``,
    ``dataset[i]``) plus a ``version`` that changes whenever the content changes, so runs
    record exactly which data they used.

    To add a dataset, subclass it, set ``name`` (and optionally ``source``) and implement
    :meth:`load`; then name the class in a config (``dataset.type: package.module.Class``)::

        class ChurnDataset(Dataset):
            name = "churn"
            source = "warehouse.customers"

            def load(self) -> tuple[pd.DataFrame, pd.Series]:
                frame = pd.read_parquet(DATA_DIR / "processed" / "churn.parquet")
                return frame.drop(columns="churned"), frame["churned"]

    Attributes:
        name: Short name shown in MLflow next to the version, e.g. ``breast_cancer``.
        source: Where the data comes from (a path, a URI or a loader), recorded with the runs.
    """

    name: str = "dataset"
    source: str = ""

    @abstractmethod
    def load(self) -> tuple[pd.DataFrame, pd.Series]:
        """Return the features (one row per sample) and the target, aligned row by row.

        Called once per instance: the result is cached, so it may be slow.
        """

    @cached_property
    def _frames(self) -> tuple[pd.DataFrame, pd.Series]:
        features, target = self.load()
        if not isinstance(features, pd.DataFrame) or not isinstance(target, pd.Series):
            raise TypeError(
                f"{type(self).__name__}.load() must return (DataFrame, Series), "
                f"got ({type(features).__name__}, {type(target).__name__})"
            )
        if len(features) != len(target):
            raise ValueError(
                f"{type(self).__name__}.load() returned {len(features)} feature rows "
                f"but {len(target)} target values"
            )
        if not features.index.equals(target.index):
            raise ValueError(
                f"{type(self).__name__}.load(): features and target have different indexes"
            )
        if target.name is None:
            target = target.rename("target")
        return features, target

    @property
    def features(self) -> pd.DataFrame:
        """The feature columns, one row per sample."""
        return self._frames[0]

    @property
    def target(self) -> pd.Series:
        """The target values, aligned with :attr:`features`."""
        return self._frames[1]

    @cached_property
    def version(self) -> str:
        """A digest of the content (values, index, column names and types)."""
        return content_digest(self.features, self.target)

    def row_keys(self, columns: Sequence[str]) -> pd.DataFrame:
        """Return the columns that identify each row (a config's ``split.key``), row by row.

        They are looked up among the features and the target; a dataset whose id columns are
        not features overrides this to find them where it keeps them.

        Raises:
            ConfigError: A column the dataset does not have.
        """
        return self._key_columns(pd.concat([self.features, self.target], axis=1), columns)

    def _key_columns(self, table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
        missing = [column for column in columns if column not in table.columns]
        if missing:
            raise ConfigError(
                f"split.key names column(s) {missing} that dataset {self.name!r} does not "
                f"have; its columns: {[str(column) for column in table.columns]}"
            )
        return table[list(columns)]

    def __len__(self) -> int:
        """Return the number of samples."""
        return len(self.target)

    def __getitem__(self, index: int) -> tuple[pd.Series, object]:
        """Return the features and the target of sample ``index`` (by position)."""
        return self.features.iloc[index], self.target.iloc[index]

    def __repr__(self) -> str:
        """Describe the dataset without loading it."""
        return f"{type(self).__name__}(name={self.name!r})"


def content_digest(features: pd.DataFrame, target: pd.Series) -> str:
    """Return a short, stable digest of a features table and its target.

    Two tables get the same digest exactly when they hold the same values in the same order,
    with the same index, column names and types.
    """
    table = pd.concat([features, target], axis=1)
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(table, index=True).to_numpy().tobytes())
    layout = [[str(column), str(dtype)] for column, dtype in table.dtypes.items()]
    digest.update(json.dumps(layout).encode())
    return digest.hexdigest()[:12]
