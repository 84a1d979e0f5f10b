"""What a promotion compares: every metric with a paired interval, each slice, and the power.

Both models' predictions on the same rows go through one paired bootstrap for every metric
the evaluator computes (the deciding one decides), then, if the config names
``promotion.slices``, through the same comparison on each slice, corrected for testing many
slices. The power line says how small a difference these rows can detect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..evaluation import gate
from ..evaluation.comparison import compare_metrics
from ..evaluation.slices import SliceReport, compare_slices, slice_masks
from . import steps

if TYPE_CHECKING:
    from ..config import ExperimentConfig
    from ..evaluation import Evaluator, MetricComparison, Objective, Predictions
    from .promotion_rows import Rows


@dataclass(frozen=True)
class Scores:
    """One model's metrics and predictions on the rows."""

    metrics: dict[str, float]
    predictions: Predictions


@dataclass(frozen=True)
class Comparison:
    """The challenger against the champion on the same rows.

    Attributes:
        metrics: Every metric both have on the rows, with its paired interval.
        deciding: The deciding metric's comparison.
        slices: The slice comparison (None: the config names no slices).
        power: The power line: the smallest detectable difference against the margin.
    """

    metrics: dict[str, MetricComparison]
    deciding: MetricComparison
    slices: SliceReport | None
    power: str


def compare(
    scores: dict[str, Scores],
    rows: Rows,
    evaluator: Evaluator,
    objective: Objective,
    config: ExperimentConfig,
) -> Comparison:
    """Compare the challenger's and the champion's predictions for the rows."""
    rule = config.promotion
    target = rows.target.to_numpy()
    ours, theirs = scores["challenger"].predictions, scores["champion"].predictions
    names = [objective.metric, *sorted(set(scores["challenger"].metrics) - {objective.metric})]
    metrics = compare_metrics(
        evaluator,
        names,
        target,
        ours,
        theirs,
        directions={objective.metric: objective.higher_is_better},
        confidence=rule.confidence,
        resamples=rule.resamples,
        seed=config.split.seed,
    )
    if objective.metric not in metrics:
        raise KeyError(objective.metric)
    deciding = metrics[objective.metric]
    slices = None
    if rule.slices:
        masks = slice_masks(_slice_columns(rows, rule.slices), rule.slices, rule.slice_bins)
        slices = compare_slices(
            evaluator,
            objective.metric,
            target,
            ours,
            theirs,
            masks,
            tolerance=rule.slice_tolerance,
            min_rows=rule.min_slice_rows,
            higher_is_better=objective.higher_is_better,
            confidence=rule.confidence,
            resamples=rule.resamples,
            seed=config.split.seed,
        )
    return Comparison(metrics, deciding, slices, gate.power_line(deciding, rule))


def _slice_columns(rows: Rows, columns: list[str]) -> pd.DataFrame:
    """The slice columns of the scored rows: features, or the dataset's other columns."""
    features = rows.features
    if all(column in features.columns for column in columns):
        return features[columns]
    keys = rows.dataset.row_keys(columns)  # refuses, naming them, columns it does not have
    if not keys.index.is_unique:
        raise steps.RefusedError(
            f"promotion.slices {columns} are not all features, and dataset "
            f"{rows.dataset.name!r} has repeated index values, so its other columns cannot be "
            "matched to the scored rows: slice by feature columns"
        )
    return keys.loc[features.index]
