"""Compare two models on the same rows: the difference of each metric and its uncertainty.

Scoring both models on identical rows makes the comparison paired: each bootstrap resample
draws the same rows for both, so row-to-row difficulty cancels out and the confidence
interval of the difference is much narrower than two separate intervals would suggest. One
bootstrap (scipy's) gives every metric's interval at once, and the spread of the resampled
differences says how large a difference this many rows can detect at all
(:attr:`MetricComparison.minimum_detectable`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .predictions import Predictions

if TYPE_CHECKING:
    from .base import Evaluator

POWER = 0.8  # the chance of detecting a true difference of the minimum detectable size


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
        rows: How many rows both were scored on.
        standard_error: The standard deviation of the resampled improvements.
        resampled: The resampled improvements themselves (for tests on them).
    """

    metric: str
    higher_is_better: bool
    challenger: float
    reference: float
    improvement: float
    interval: tuple[float, float]
    confidence: float
    rows: int = 0
    standard_error: float = 0.0
    resampled: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False, compare=False)

    @property
    def significant(self) -> bool:
        """Whether the interval excludes zero in the challenger's favour."""
        return self.interval[0] > 0

    @property
    def minimum_detectable(self) -> float:
        """The smallest true improvement these rows would show as significant 80% of the time.

        ``(z[1 - (1 - confidence) / 2] + z[0.8]) * standard_error``: below it, a gain is more
        likely than not to go unseen, so "not significant" means "cannot tell", not "equal".
        """
        from scipy.stats import norm

        two_sided = norm.ppf(1 - (1 - self.confidence) / 2)
        return float((two_sided + norm.ppf(POWER)) * self.standard_error)

    def p_worse_by_more_than(self, tolerance: float) -> float:
        """Bootstrap p-value of "the challenger is worse by more than ``tolerance``".

        Small when nearly every resample shows the challenger that much worse; the
        share of resamples that do not, with the usual +1 so it is never exactly zero.
        """
        if self.resampled.size == 0:
            return 1.0
        not_that_worse = np.count_nonzero(self.resampled >= -tolerance)
        return float((not_that_worse + 1) / (self.resampled.size + 1))


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

    ``higher_is_better`` overrides the evaluator's direction for ``metric``.

    Raises:
        KeyError: If the evaluator does not compute ``metric`` for these predictions.
    """
    return compare_metrics(
        evaluator,
        [metric],
        target,
        challenger,
        reference,
        directions={metric: higher_is_better} if higher_is_better is not None else None,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
    )[metric]


def compare_metrics(
    evaluator: Evaluator,
    metrics: Sequence[str],
    target: np.ndarray,
    challenger: Predictions,
    reference: Predictions,
    *,
    directions: dict[str, bool] | None = None,
    confidence: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
) -> dict[str, MetricComparison]:
    """Compare two models on several metrics with one paired bootstrap over the rows.

    The interval is a percentile bootstrap over resampled row indices, seeded so that the
    same inputs always give the same interval. A metric undefined on the rows (ROC AUC
    with one class) is left out of the result.

    Raises:
        KeyError: If none of ``metrics`` is defined for these predictions.
    """
    from scipy.stats import DegenerateDataWarning, bootstrap

    target = np.asarray(target)
    everything = slice(None)
    values = {
        "challenger": _values(evaluator, target, challenger, everything),
        "reference": _values(evaluator, target, reference, everything),
    }
    names = [m for m in metrics if all(not np.isnan(v.get(m, np.nan)) for v in values.values())]
    if not names:
        raise KeyError(", ".join(metrics))
    signs = np.array([1.0 if _higher(evaluator, directions, m) else -1.0 for m in names])

    def improvements(rows: np.ndarray) -> np.ndarray:
        ours = _values(evaluator, target, challenger, rows)
        theirs = _values(evaluator, target, reference, rows)
        gains = [ours.get(m, np.nan) - theirs.get(m, np.nan) for m in names]
        return signs * np.asarray(gains, dtype=float)  # NaN on a degenerate resample

    with warnings.catch_warnings():  # identical predictions: every resample differs by 0
        warnings.simplefilter("ignore", DegenerateDataWarning)
        result = bootstrap(
            (np.arange(len(target)),),
            improvements,
            vectorized=False,
            n_resamples=resamples,
            confidence_level=confidence,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
    distribution = np.atleast_2d(result.bootstrap_distribution)
    tail = (1 - confidence) / 2 * 100
    compared = {}
    for index, (name, sign) in enumerate(zip(names, signs, strict=True)):
        # Percentiles of the resamples on which the metric is defined (a resample of a small
        # slice may hold one class only: no ROC AUC there).
        resampled = distribution[index][~np.isnan(distribution[index])]
        low, high = np.percentile(resampled, [tail, 100 - tail]) if resampled.size else (0, 0)
        ours, theirs = values["challenger"][name], values["reference"][name]
        compared[name] = MetricComparison(
            metric=name,
            higher_is_better=bool(sign > 0),
            challenger=ours,
            reference=theirs,
            improvement=float(sign * (ours - theirs)),
            interval=(float(low), float(high)),
            confidence=confidence,
            rows=len(target),
            standard_error=float(np.std(resampled, ddof=1)) if resampled.size > 1 else 0.0,
            resampled=resampled,
        )
    return compared


def _values(
    evaluator: Evaluator, target: np.ndarray, predictions: Predictions, rows: np.ndarray | slice
) -> dict[str, float]:
    """The metrics on some rows; none where they are undefined (one class among them)."""
    scores = None if predictions.scores is None else predictions.scores[rows]
    try:
        return evaluator.compute_metrics(target[rows], predictions.labels[rows], scores)
    except ValueError:
        return {}


def _higher(evaluator: Evaluator, directions: dict[str, bool] | None, metric: str) -> bool:
    if directions and directions.get(metric) is not None:
        return bool(directions[metric])
    return evaluator.higher_is_better(metric)
