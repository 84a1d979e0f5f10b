"""Split a dataset into training and held-out evaluation rows, reproducibly.

Two methods (``split.method`` in a config):

- ``hash`` (the default): a row is held out when its fingerprint, salted with the seed, falls
  below ``test_size`` (:mod:`.fingerprints`). Its side depends on nothing but its own key, so
  appending or reordering rows never moves a row across, identical rows land on the same
  side (a duplicate cannot leak from training into evaluation), and as data grows the new
  rows are split the same way. Each class is held out at ``test_size`` up to sampling noise.
- ``random``: scikit-learn's seeded shuffle (``train_test_split``), optionally stratified:
  exact proportions, but any change of the data redraws every row's side.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..config import SPLIT_METHODS
from .base import Dataset
from .fingerprints import row_fingerprints, salted_fractions


class Split(NamedTuple):
    """Training and held-out rows of a dataset, keeping the original index.

    ``train_rows`` and ``test_rows`` are the rows' fingerprints (:mod:`.fingerprints`), in
    the same order as the rows: what a training run records as its lineage.
    """

    train_features: pd.DataFrame
    test_features: pd.DataFrame
    train_target: pd.Series
    test_target: pd.Series
    train_rows: np.ndarray
    test_rows: np.ndarray


def split_dataset(
    dataset: Dataset,
    test_size: float = 0.2,
    seed: int = 42,
    *,
    method: str = "random",
    stratify: bool = False,
    key: Sequence[str] | None = None,
) -> Split:
    """Hold out part of the rows for evaluation: the same data and seed, the same rows.

    Args:
        dataset: The dataset to split.
        test_size: Fraction of rows to hold out (``random`` also takes a row count, >= 1).
        seed: Seed of the split (logged with every run).
        method: ``hash`` or ``random`` (see the module's docstring).
        stratify: ``random`` only: keep the class proportions of the target in both parts.
        key: Columns that identify a row (``split.key``); None: all the feature columns.

    Raises:
        ValueError: An unknown method, or a split that leaves one side empty.
    """
    fingerprints = dataset_fingerprints(dataset, key)
    if method == "hash":
        held = salted_fractions(fingerprints, seed) < test_size
        split = _parts(dataset, fingerprints, ~held, held)
    elif method == "random":
        from sklearn.model_selection import train_test_split

        train, test = train_test_split(
            np.arange(len(dataset)),
            test_size=test_size,
            random_state=seed,
            stratify=dataset.target if stratify else None,
        )
        split = _parts(dataset, fingerprints, train, test)
    else:
        raise ValueError(f"Unknown split method {method!r}: use one of {', '.join(SPLIT_METHODS)}")
    if split.train_target.empty or split.test_target.empty:
        side = "no rows for training" if split.train_target.empty else "no held-out rows"
        raise ValueError(
            f"The {method} split of {len(dataset)} rows with test_size {test_size} leaves "
            f"{side}: add rows or change split.test_size"
        )
    return split


def dataset_fingerprints(dataset: Dataset, key: Sequence[str] | None = None) -> np.ndarray:
    """Return the fingerprint of each row of a dataset: of its key columns, or its features."""
    return row_fingerprints(dataset.row_keys(key) if key else dataset.features)


def _parts(
    dataset: Dataset, fingerprints: np.ndarray, train: np.ndarray, test: np.ndarray
) -> Split:
    """Take the rows at ``train`` and ``test`` (positions or boolean masks)."""
    features, target = dataset.features, dataset.target
    return Split(
        features.iloc[train],
        features.iloc[test],
        target.iloc[train],
        target.iloc[test],
        fingerprints[train],
        fingerprints[test],
    )
