"""Regression metrics (scikit-learn's) and the regression evaluator."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .base import Evaluator, check_predictions

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def regression_metrics(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, float]:
    """Return MAE, RMSE and R², as scikit-learn computes them.

    Raises:
        ValueError: On mismatched lengths or NaN or infinite values.
    """
    from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

    y_true, y_pred, _ = check_predictions(y_true, y_pred)
    if len(y_true) < 2:
        raise ValueError("R² needs at least two rows to evaluate")
    return {
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "rmse": float(root_mean_squared_error(y_true, y_pred)),
        "r2": float(r2_score(y_true, y_pred)),
    }


class RegressionEvaluator(Evaluator):
    """MAE, RMSE and R², with predicted-vs-actual and residual figures."""

    key_metric = "rmse"
    lower_is_better = frozenset({"mae", "rmse"})

    def compute_metrics(
        self, y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None = None
    ) -> dict[str, float]:
        """Return the metrics of :func:`regression_metrics` (scores are not used)."""
        return regression_metrics(y_true, y_pred)

    def make_figures(
        self, y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None = None
    ) -> dict[str, Figure]:
        """Draw predictions against true values and the residuals."""
        from . import figures

        y_true, y_pred = y_true.astype(float), y_pred.astype(float)
        return {
            "predicted_vs_actual": figures.predicted_vs_actual(y_true, y_pred),
            "residuals": figures.residuals(y_true, y_pred),
        }
