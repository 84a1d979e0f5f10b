"""Split a dataset into training and held-out evaluation rows, reproducibly."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from .base import Dataset


class Split(NamedTuple):
    """Training and held-out rows of a dataset, keeping the original index."""

    train_features: pd.DataFrame
    test_features: pd.DataFrame
    train_target: pd.Series
    test_target: pd.Series


def split_dataset(
    dataset: Dataset, test_size: float = 0.2, seed: int = 42, *, stratify: bool = False
) -> Split:
    """Hold out a random part of the rows for evaluation.

    The same dataset version, ``test_size`` and ``seed`` always hold out the same rows, so
    every run of an experiment is evaluated on identical data and runs compare fairly.

    Args:
        dataset: The dataset to split.
        test_size: Fraction of rows to hold out, or a number of rows if >= 1.
        seed: Random seed of the split (logged with every run).
        stratify: Keep the class proportions of the target in both parts.
    """
    from sklearn.model_selection import train_test_split

    parts = train_test_split(
        dataset.features,
        dataset.target,
        test_size=test_size,
        random_state=seed,
        stratify=dataset.target if stratify else None,
    )
    return Split(*parts)
