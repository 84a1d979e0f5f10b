"""Compare two models on the same rows: the difference of a metric and its uncertainty.

Scoring both models on identical rows makes the comparison paired: each bootstrap resample
draws the same rows for both, so row-to-row difficulty cancels out and the confidence
interval of the difference is much narrower than two separate intervals would suggest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .predictions import Predictions

if TYPE_CHECKING:
    from .base import Evaluator


@dataclass(frozen=True)
class MetricComparison:
    """How much better the challenger is than the reference on one metric.

    Attributes:
        metric: The metric compared.
        higher_is_better: Its direction.
        challenger: The challenger's value on the rows.
        reference: The reference model's value on the same rows.
        improvement: How much better the challenger is, in metric units: positive when it
            is better, whatever the metric's direction.
        interval: Paired bootstrap confidence interval of ``improvement``.
        confidence: The interval's confidence level.
    """

    metric: str
    higher_is_better: bool
    challenger: float
    reference: float
    improvement: float
    interval: tuple[float, float]
    confidence: float

    @property
    def significant(self) -> bool:
        """Whether the interval excludes zero in the challenger's favour."""
        return self.interval[0] > 0


def compare_on_same_rows(
    evaluator: Evaluator,
    metric: str,
    target: np.ndarray,
    challenger: Predictions,
    reference: Predictions,
    *,
    higher_is_better: bool | None = None,
    confidence: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
) -> MetricComparison:
    """Compare two models' predictions for the same rows on ``metric``, with a paired bootstrap.

    The interval is a percentile bootstrap (scipy's) over resampled row indices, seeded so
    that the same inputs always give the same interval. ``higher_is_better`` overrides the
    evaluator's direction for ``metric``.

    Raises:
        KeyError: If the evaluator does not compute ``metric`` for these predictions.
    """
    from scipy.stats import bootstrap

    target = np.asarray(target)
    if higher_is_better is None:
        higher_is_better = evaluator.higher_is_better(metric)
    sign = 1.0 if higher_is_better else -1.0

    def value(predictions: Predictions, rows: np.ndarray | slice) -> float:
        scores = None if predictions.scores is None else predictions.scores[rows]
        metrics = evaluator.compute_metrics(target[rows], predictions.labels[rows], scores)
        return float(metrics.get(metric, np.nan))  # undefined on a degenerate resample

    def improvement(rows: np.ndarray | slice) -> float:
        return sign * (value(challenger, rows) - value(reference, rows))

    everything = slice(None)
    challenger_value, reference_value = value(challenger, everything), value(reference, everything)
    if np.isnan(challenger_value) or np.isnan(reference_value):
        raise KeyError(metric)
    result = bootstrap(
        (np.arange(len(target)),),
        improvement,
        vectorized=False,
        n_resamples=resamples,
        confidence_level=confidence,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return MetricComparison(
        metric=metric,
        higher_is_better=sign > 0,
        challenger=challenger_value,
        reference=reference_value,
        improvement=sign * (challenger_value - reference_value),
        interval=(float(result.confidence_interval.low), float(result.confidence_interval.high)),
        confidence=confidence,
    )
