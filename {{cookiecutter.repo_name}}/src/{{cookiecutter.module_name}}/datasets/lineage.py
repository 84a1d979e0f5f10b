"""Row lineage: which rows trained a model and which it was evaluated on, as fingerprints.

A training run records its lineage (the fingerprints of :mod:`.fingerprints`, sorted, at most
8 bytes a row). With the lineages of two models, :func:`fresh_rows` finds the rows neither
trained on: the only rows on which two models trained on different data compare fairly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RowLineage:
    """The rows a model trained on and the rows it was evaluated on.

    Attributes:
        trained: The training rows' fingerprints, sorted and unique (``uint64``).
        held_out: The held-out rows' fingerprints, sorted and unique (``uint64``).
    """

    trained: np.ndarray
    held_out: np.ndarray

    @classmethod
    def of(cls, train_rows: np.ndarray, test_rows: np.ndarray) -> RowLineage:
        """The lineage of a split, from its rows' fingerprints (``Split.train_rows``...)."""
        return cls(np.unique(train_rows), np.unique(test_rows))

    def trained_on(self, rows: np.ndarray) -> np.ndarray:
        """Which of ``rows`` (fingerprints) the model trained on: a boolean mask."""
        return _member(rows, self.trained)

    def evaluated_on(self, rows: np.ndarray) -> np.ndarray:
        """Which of ``rows`` the model was evaluated on (held out): a boolean mask."""
        return _member(rows, self.held_out)


@dataclass(frozen=True)
class FreshRows:
    """Which candidate rows no model of a comparison trained on, and where they come from.

    Attributes:
        mask: Over the candidate rows: True where no model trained on the row.
        held_out_by_all: Of those, rows every model held out (evaluated on).
        never_seen_by: Of those, by role, rows the model never saw (neither trained nor
            evaluated on: new since it was trained).
        trained_on: By role, candidate rows left out because the model trained on them.
    """

    mask: np.ndarray
    held_out_by_all: int
    never_seen_by: dict[str, int]
    trained_on: dict[str, int]

    @property
    def count(self) -> int:
        """How many rows no model trained on."""
        return int(self.mask.sum())


def fresh_rows(rows: np.ndarray, lineages: Mapping[str, RowLineage]) -> FreshRows:
    """Find which of ``rows`` (fingerprints) none of the models trained on.

    Args:
        rows: The candidate rows' fingerprints, e.g. today's held-out rows.
        lineages: Each model's lineage, by role (``challenger``, ``champion``).
    """
    trained = {role: lineage.trained_on(rows) for role, lineage in lineages.items()}
    held = {role: lineage.evaluated_on(rows) for role, lineage in lineages.items()}
    mask = np.ones(len(rows), dtype=bool)
    for by_role in trained.values():
        mask &= ~by_role
    held_by_all = mask.copy()
    for by_role in held.values():
        held_by_all &= by_role
    return FreshRows(
        mask=mask,
        held_out_by_all=int(held_by_all.sum()),
        never_seen_by={role: int((mask & ~held[role]).sum()) for role in lineages},
        trained_on={role: int(by_role.sum()) for role, by_role in trained.items()},
    )


def _member(rows: np.ndarray, sorted_unique: np.ndarray) -> np.ndarray:
    """``np.isin`` for a sorted, unique reference: a binary search per row."""
    if sorted_unique.size == 0:
        return np.zeros(len(rows), dtype=bool)
    at = np.searchsorted(sorted_unique, rows)
    at[at == sorted_unique.size] = 0
    return sorted_unique[at] == rows
