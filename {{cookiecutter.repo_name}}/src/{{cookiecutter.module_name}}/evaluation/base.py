"""The evaluator building block: scores predictions, knowing nothing about the model."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class Evaluation:
    """The result of an evaluation.

    Attributes:
        metrics: Metric name to value, logged to MLflow in one batch.
        figures: File name (without extension) to figure, logged as PNG artifacts.
    """

    metrics: dict[str, float]
    figures: dict[str, Figure] = field(default_factory=dict)


class Evaluator(ABC):
    """Turns true values and predictions into metrics and figures.

    An evaluator only sees ``y_true``, ``y_pred`` and, when the model gives them, ``y_score``
    (class probabilities): it works the same for every present and future model. Inputs are
    checked once in :meth:`evaluate` (same lengths, no NaN or infinite values), so
    subclasses receive clean NumPy arrays.

    To add a metric, subclass an evaluator and extend :meth:`compute_metrics`::

        class BalancedEvaluator(ClassificationEvaluator):
            def compute_metrics(self, y_true, y_pred, y_score=None):
                metrics = super().compute_metrics(y_true, y_pred, y_score)
                metrics["balanced_accuracy"] = balanced_accuracy_score(y_true, y_pred)
                return metrics

    and name it in a config: ``evaluator.type: my_package.evaluation.BalancedEvaluator``.

    Attributes:
        key_metric: The metric that decides promotions unless the config names another.
        lower_is_better: Metrics for which smaller values are better (errors, losses); every
            other metric is taken as higher-is-better.
        classifies: Whether the target is a set of labels: then a promotion records the labels
            a champion trained on, and ``monitor`` flags labels it never saw.
    """

    key_metric: str | None = None
    lower_is_better: frozenset[str] = frozenset()
    classifies: bool = False

    def higher_is_better(self, metric: str) -> bool:
        """Return whether a larger value of ``metric`` means a better model."""
        return metric not in self.lower_is_better

    @abstractmethod
    def compute_metrics(
        self, y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None = None
    ) -> dict[str, float]:
        """Return metric name to value for checked inputs."""

    def make_figures(
        self, y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None = None
    ) -> dict[str, Figure]:
        """Return figures that help analyse the errors; none by default."""
        return {}

    def evaluate(
        self,
        y_true: ArrayLike,
        y_pred: ArrayLike,
        y_score: np.ndarray | None = None,
    ) -> Evaluation:
        """Check the inputs, then compute the metrics and the figures.

        Args:
            y_true: The true values.
            y_pred: The predictions, one per true value.
            y_score: Optional scores, e.g. class probabilities of shape (n, n_classes).
        """
        y_true, y_pred, y_score = check_predictions(y_true, y_pred, y_score)
        return Evaluation(
            metrics=self.compute_metrics(y_true, y_pred, y_score),
            figures=self.make_figures(y_true, y_pred, y_score),
        )


def check_predictions(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    y_score: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Return the inputs as NumPy arrays after checking they can be evaluated.

    Raises:
        ValueError: If the lengths differ, the arrays are empty or a value is missing,
            NaN or infinite.
    """
    y_true = _as_1d("y_true", y_true)
    y_pred = _as_1d("y_pred", y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} values but y_pred has {len(y_pred)}")
    if len(y_true) == 0:
        raise ValueError("Nothing to evaluate: y_true and y_pred are empty")
    if y_score is not None:
        y_score = np.asarray(y_score, dtype=float)
        if y_score.ndim not in (1, 2) or len(y_score) != len(y_true):
            raise ValueError(
                f"y_score must have one row per value of y_true ({len(y_true)}), "
                f"got shape {y_score.shape}"
            )
        _check_finite("y_score", y_score)
    return y_true, y_pred, y_score


def _as_1d(name: str, values: ArrayLike) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    _check_finite(name, array)
    return array


def _check_finite(name: str, array: np.ndarray) -> None:
    """Reject missing, NaN and infinite values, which no metric handles meaningfully."""
    if array.dtype.kind in "fc":
        bad = int(np.count_nonzero(~np.isfinite(array)))
    elif array.dtype.kind == "O":
        bad = int(np.count_nonzero(pd.isna(array)))
    else:
        return
    if bad:
        raise ValueError(
            f"{name} contains {bad} missing, NaN or infinite value(s); "
            "every row must have a finite value to be evaluated"
        )
