"""Data drift: is a new batch distributed like the data a model was trained on?

Each feature is tested on its own with a two-sample test: Kolmogorov-Smirnov for numeric
columns, chi-square on the category counts for the others (with the population stability
index as its effect size). Testing dozens of features at once would flag some by chance,
so the p-values are corrected with Benjamini-Hochberg (scipy's ``false_discovery_control``):
on a batch with no drift at all, the chance that any feature is flagged stays below
``alpha``. A feature is reported as drifted when its corrected p-value is below ``alpha``
*and* its effect is large enough to matter, since on big batches tiny shifts are significant.
A categorical feature with categories never seen in the reference data drifted, whatever the
test says: the model has never seen them (they are named in the report).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Proportion given to a category absent from one side, so the PSI stays finite.
_EMPTY_SHARE = 1e-4


@dataclass(frozen=True)
class FeatureDrift:
    """The drift test of one feature.

    Attributes:
        feature: The column.
        test: ``ks`` (Kolmogorov-Smirnov, numeric) or ``chi2`` (categorical).
        effect: The effect size: the KS statistic, or the population stability index.
        p_value: The test's p-value.
        adjusted_p_value: The p-value after the Benjamini-Hochberg correction.
        drifted: Significant after correction and with a large enough effect, or with
            categories never seen in the reference data.
        unseen: Categories of the batch that the reference data never had (categorical
            features only), most frequent first.
    """

    feature: str
    test: str
    effect: float
    p_value: float
    adjusted_p_value: float
    drifted: bool
    unseen: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DriftReport:
    """Per-feature drift of a batch against reference data, and the thresholds used."""

    features: list[FeatureDrift]
    alpha: float
    min_effect: float
    psi_threshold: float

    @property
    def drifted(self) -> list[FeatureDrift]:
        """The features that drifted, largest effect first."""
        return sorted((f for f in self.features if f.drifted), key=lambda f: -f.effect)

    def to_dict(self) -> dict[str, object]:
        """Return the report as plain data, e.g. to store it as JSON."""
        return {**asdict(self), "drifted": [f.feature for f in self.drifted]}


def detect_drift(
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    *,
    alpha: float = 0.05,
    min_effect: float = 0.1,
    psi_threshold: float = 0.2,
) -> DriftReport:
    """Test every column of ``reference`` for a change of distribution in ``batch``.

    Raises:
        ValueError: If ``batch`` lacks columns of ``reference`` or either side is empty.
    """
    from scipy.stats import false_discovery_control

    missing = [column for column in reference.columns if column not in batch.columns]
    if missing:
        raise ValueError(f"The batch has no column(s) {missing} of the reference data")
    if reference.empty or batch.empty:
        raise ValueError("Drift needs rows on both sides: the reference or the batch is empty")
    tests = [_test_feature(reference[column], batch[column]) for column in reference.columns]
    adjusted = false_discovery_control([p_value for _, _, p_value in tests], method="bh")
    features = []
    for column, (test, effect, p_value), corrected in zip(
        reference.columns, tests, adjusted, strict=True
    ):
        threshold = min_effect if test == "ks" else psi_threshold
        unseen = [] if test == "ks" else unseen_categories(reference[column], batch[column])
        features.append(
            FeatureDrift(
                feature=str(column),
                test=test,
                effect=effect,
                p_value=p_value,
                adjusted_p_value=float(corrected),
                drifted=bool(corrected < alpha and effect >= threshold) or bool(unseen),
                unseen=unseen,
            )
        )
    return DriftReport(features, alpha, min_effect, psi_threshold)


def unseen_categories(reference: pd.Series, batch: pd.Series) -> list[str]:
    """Return the batch's categories that the reference never had, most frequent first."""
    known = set(reference.dropna().astype(str))
    counts = batch.dropna().astype(str).value_counts()
    return [str(category) for category in counts.index if category not in known]


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _test_feature(reference: pd.Series, batch: pd.Series) -> tuple[str, float, float]:
    """Return the test's name, the effect size and the p-value for one column."""
    from scipy.stats import chi2_contingency, ks_2samp

    reference, batch = reference.dropna(), batch.dropna()
    if len(reference) == 0 or len(batch) == 0:
        return ("ks" if _is_numeric(reference) else "chi2"), 0.0, 1.0
    if _is_numeric(reference):
        result = ks_2samp(reference.to_numpy(float), batch.to_numpy(float))
        return "ks", float(result.statistic), float(result.pvalue)
    counts = pd.concat(
        [reference.astype(str).value_counts(), batch.astype(str).value_counts()], axis=1
    ).fillna(0)
    if len(counts) < 2:  # a single category on both sides: nothing can have moved
        return "chi2", 0.0, 1.0
    p_value = float(chi2_contingency(counts.to_numpy().T).pvalue)
    return "chi2", population_stability_index(counts.iloc[:, 0], counts.iloc[:, 1]), p_value


def population_stability_index(reference_counts: pd.Series, batch_counts: pd.Series) -> float:
    """Return the PSI of two count vectors over the same categories (0: identical shares).

    Common reading: below 0.1 stable, 0.1 to 0.2 a moderate shift, above 0.2 a large one.
    """
    expected = np.maximum(reference_counts.to_numpy(float) / reference_counts.sum(), _EMPTY_SHARE)
    actual = np.maximum(batch_counts.to_numpy(float) / batch_counts.sum(), _EMPTY_SHARE)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def drift_figure(report: DriftReport) -> Figure:
    """Bars of each feature's effect size, drifted ones in red, with the thresholds."""
    from matplotlib.figure import Figure

    features = sorted(report.features, key=lambda f: f.effect)
    figure = Figure(figsize=(7, max(3.0, 0.28 * len(features) + 1.5)), layout="constrained")
    axes = figure.add_subplot()
    colors = ["tab:red" if f.drifted else "tab:blue" for f in features]
    axes.barh([f.feature for f in features], [f.effect for f in features], color=colors)
    axes.axvline(report.min_effect, linestyle="--", color="grey", label="KS threshold")
    if any(f.test == "chi2" for f in features):
        axes.axvline(report.psi_threshold, linestyle=":", color="grey", label="PSI threshold")
    axes.set_xlabel("Effect size (KS statistic or PSI); red: drifted")
    axes.set_title(f"Drift per feature (BH-corrected, alpha {report.alpha})")
    axes.legend(loc="lower right")
    return figure
