"""Slices: does the challenger lose badly on one segment while it wins overall?

The promotion rows are cut by the config's ``promotion.slices`` columns: one slice per
category, or per quantile bin of a numeric column. On each slice with enough rows, the
challenger is compared with the champion on the deciding metric with the same paired
bootstrap as the whole comparison, and tested for being worse by more than the tolerance.
Testing many slices would refuse a model that did not change by chance alone, so the
p-values are corrected with Benjamini-Hochberg (scipy's ``false_discovery_control``), as for
drift; a slice breaches when its corrected p-value is below ``1 - confidence``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .comparison import compare_on_same_rows

if TYPE_CHECKING:
    from .base import Evaluator
    from .predictions import Predictions


@dataclass(frozen=True)
class SliceResult:
    """The comparison on one slice.

    Attributes:
        slice: The slice, e.g. ``region=north`` or ``age in (31.0, 45.0]``.
        rows: Its rows.
        challenger: The challenger's metric on it (None: not compared).
        champion: The champion's metric on it (None: not compared).
        improvement: How much better the challenger is (positive: better).
        interval: Paired bootstrap interval of the improvement.
        p_value: Of "worse by more than the tolerance", before correction.
        adjusted_p_value: After the Benjamini-Hochberg correction over the compared slices.
        breach: Worse by more than the tolerance, significantly after correction.
        skipped: Why it was not compared (too few rows, metric undefined), else empty.
    """

    slice: str
    rows: int
    challenger: float | None = None
    champion: float | None = None
    improvement: float | None = None
    interval: tuple[float, float] | None = None
    p_value: float | None = None
    adjusted_p_value: float | None = None
    breach: bool = False
    skipped: str = ""


@dataclass(frozen=True)
class SliceReport:
    """Every slice's comparison and the rule applied."""

    metric: str
    tolerance: float
    min_rows: int
    results: list[SliceResult]

    @property
    def breaches(self) -> list[SliceResult]:
        """The slices the challenger is significantly worse on, worst first."""
        found = [result for result in self.results if result.breach]
        return sorted(found, key=lambda result: result.improvement or 0.0)

    def to_rows(self) -> list[dict[str, object]]:
        """One plain mapping per slice, e.g. for a table."""
        return [asdict(result) for result in self.results]


def slice_masks(frame: pd.DataFrame, columns: Sequence[str], bins: int) -> dict[str, np.ndarray]:
    """Cut rows into slices: each category of a column, or each quantile bin of a number.

    Missing values form a slice of their own (``column=<missing>``).
    """
    masks: dict[str, np.ndarray] = {}
    for column in columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            if values.nunique() > bins:
                intervals = pd.qcut(values, q=bins, duplicates="drop")
                groups = intervals.map(
                    lambda cut, c=column: f"{c} in ({cut.left:.4g}, {cut.right:.4g}]"
                ).astype(str)
            else:
                groups = values.map(lambda value, c=column: f"{c}={value:g}")
        else:
            groups = values.astype(str).map(lambda value, c=column: f"{c}={value}")
        groups = groups.where(values.notna(), f"{column}=<missing>")
        for name in sorted(groups.unique()):
            masks[name] = (groups == name).to_numpy()
    return masks


def compare_slices(
    evaluator: Evaluator,
    metric: str,
    target: np.ndarray,
    challenger: Predictions,
    champion: Predictions,
    masks: Mapping[str, np.ndarray],
    *,
    tolerance: float,
    min_rows: int,
    higher_is_better: bool,
    confidence: float,
    resamples: int,
    seed: int,
) -> SliceReport:
    """Compare the two models on each slice; flag those the challenger is worse on."""
    from scipy.stats import false_discovery_control

    target = np.asarray(target)
    results: list[SliceResult] = []
    compared = []
    for name, mask in masks.items():
        rows = int(mask.sum())
        if rows < min_rows:
            results.append(SliceResult(name, rows, skipped=f"fewer than {min_rows} rows"))
            continue
        try:
            comparison = compare_on_same_rows(
                evaluator,
                metric,
                target[mask],
                challenger.subset(mask),
                champion.subset(mask),
                higher_is_better=higher_is_better,
                confidence=confidence,
                resamples=resamples,
                seed=seed,
            )
        except KeyError:
            results.append(SliceResult(name, rows, skipped=f"{metric} undefined on it"))
            continue
        compared.append((name, rows, comparison))
    adjusted = false_discovery_control(
        [c.p_worse_by_more_than(tolerance) for _, _, c in compared] or [1.0], method="bh"
    )
    alpha = 1 - confidence
    for (name, rows, comparison), corrected in zip(compared, adjusted, strict=False):
        results.append(
            SliceResult(
                slice=name,
                rows=rows,
                challenger=comparison.challenger,
                champion=comparison.reference,
                improvement=comparison.improvement,
                interval=comparison.interval,
                p_value=comparison.p_worse_by_more_than(tolerance),
                adjusted_p_value=float(corrected),
                breach=bool(corrected < alpha),
            )
        )
    results.sort(key=lambda result: result.slice)
    return SliceReport(metric, tolerance, min_rows, results)
