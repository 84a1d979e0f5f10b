"""A dataset read from a CSV or Parquet file, typically under ``data/``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .. import tables
from ..config import ConfigError
from ..paths import PROJECT_ROOT
from .base import Dataset


class TabularFileDataset(Dataset):
    """A CSV or Parquet file with one row per sample and a target column.

    Args:
        path: The file; a relative path is taken from the project root, e.g.
            ``data/processed/houses.parquet``.
        target: The column to predict; every other column is a feature.
        name: Name recorded in MLflow; defaults to the file name without its extension.
        features: The feature columns to keep; defaults to all but the target.
    """

    def __init__(
        self,
        path: str,
        target: str,
        name: str | None = None,
        features: list[str] | None = None,
    ) -> None:
        """Record where the file is; it is only read when first used."""
        tables.check_suffix(Path(path))
        self.path = path
        self.target_column = target
        self.feature_columns = features
        self.name = name or Path(path).stem
        self.source = Path(path).as_posix()
        self._other_columns: pd.DataFrame | None = None  # columns neither feature nor target

    @property
    def file(self) -> Path:
        """The absolute path of the file."""
        return PROJECT_ROOT / self.path

    def load(self) -> tuple[pd.DataFrame, pd.Series]:
        """Read the file and separate the target column from the features."""
        if not self.file.is_file():
            raise FileNotFoundError(
                f"{self.file} does not exist. Data files are not versioned in git: "
                "put the file there first."
            )
        frame = tables.read_table(self.file)
        if frame.empty:
            raise tables.TableError(f"{self.file} has no rows to learn from")
        wanted = [self.target_column, *(self.feature_columns or [])]
        missing = [column for column in wanted if column not in frame.columns]
        if missing:
            raise ConfigError(
                f"{self.file.name} has no column(s) {missing} that the config's dataset names; "
                f"it has {list(frame.columns)}"
            )
        features = frame.drop(columns=self.target_column)
        if self.feature_columns is not None:
            self._other_columns = features.drop(columns=self.feature_columns)
            features = features[self.feature_columns]
        return features, frame[self.target_column]

    def row_keys(self, columns: Sequence[str]) -> pd.DataFrame:
        """Return the key columns, from the features, the target or the file's other columns."""
        tables = [self.features, self.target]  # reading them fills _other_columns
        if self._other_columns is not None:
            tables.append(self._other_columns)
        return self._key_columns(pd.concat(tables, axis=1), columns)
