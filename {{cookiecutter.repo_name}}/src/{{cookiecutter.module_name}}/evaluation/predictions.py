"""What a model says about some rows: its predictions and, if it has them, its scores."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd


class Predictions(NamedTuple):
    """A model's predictions for some rows and, if it gives them, its scores.

    Attributes:
        labels: One prediction per row.
        scores: Class probabilities, shape (rows, classes), or None.
    """

    labels: np.ndarray
    scores: np.ndarray | None

    def subset(self, rows: np.ndarray) -> Predictions:
        """The predictions for some of the rows (a boolean mask or positions)."""
        return Predictions(self.labels[rows], None if self.scores is None else self.scores[rows])

    def to_frame(self, target: pd.Series | None = None) -> pd.DataFrame:
        """Return one row per input row: ``y_true`` (given ``target``), ``prediction``, scores.

        With ``target``, the table keeps its index, so each row names the dataset's row.
        """
        table = pd.DataFrame({"prediction": self.labels})
        if target is not None:
            table.index = target.index
            table.insert(0, "y_true", target.to_numpy())
        if self.scores is not None:
            scores = self.scores
            names = (
                [f"score_{i}" for i in range(scores.shape[1])] if scores.ndim == 2 else ["score"]
            )
            table[names] = scores.reshape(len(table), -1)
        return table
