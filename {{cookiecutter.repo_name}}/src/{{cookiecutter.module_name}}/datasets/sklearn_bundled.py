"""Datasets bundled with scikit-learn: no download, handy for examples and smoke tests."""

from __future__ import annotations

import pandas as pd

from .base import Dataset

# Loaders of sklearn.datasets that ship their data and return one target column.
BUNDLED = ("breast_cancer", "diabetes", "digits", "iris", "wine")


class SklearnDataset(Dataset):
    """One of scikit-learn's bundled datasets, loaded as pandas objects.

    Args:
        name: ``breast_cancer``, ``iris``, ``wine`` or ``digits`` (classification), or
            ``diabetes`` (regression).
    """

    def __init__(self, name: str = "breast_cancer") -> None:
        """Check the name; the data is only read when first used."""
        if name not in BUNDLED:
            raise ValueError(f"Unknown scikit-learn dataset {name!r}: choose one of {BUNDLED}")
        self.name = name
        self.source = f"sklearn.datasets.load_{name}"

    def load(self) -> tuple[pd.DataFrame, pd.Series]:
        """Load the features and the target with ``as_frame=True``."""
        from sklearn import datasets

        bunch = getattr(datasets, f"load_{self.name}")(as_frame=True)
        return bunch.data, bunch.target
