"""What a model relies on: permutation importance of each feature on held-out rows.

A feature's importance is how much the deciding metric drops when its values are shuffled
across the rows (scikit-learn's ``permutation_importance``), which breaks its link with the
target while keeping its distribution. It works the same for any model, since it only
calls ``predict``; its cost is about ``features x repeats`` scorings of the sampled rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from ..models import Model
    from .base import Evaluator
    from .objective import Objective


@dataclass(frozen=True)
class FeatureImportance:
    """How much the metric drops when one feature is shuffled.

    Attributes:
        feature: The feature.
        mean: The mean drop over the repeats (metric units; larger: relied on more).
        std: Its standard deviation over the repeats.
    """

    feature: str
    mean: float
    std: float


def permutation_importance(
    model: Model,
    features: pd.DataFrame,
    target: pd.Series,
    evaluator: Evaluator,
    objective: Objective,
    *,
    rows: int,
    repeats: int,
    seed: int,
) -> list[FeatureImportance]:
    """Return each feature's importance, most important first.

    Args:
        model: A fitted model.
        features: Held-out rows; a seeded sample of ``rows`` of them is used.
        target: Their true values.
        evaluator: Computes the deciding metric.
        objective: The deciding metric and its direction.
        rows: The sample size.
        repeats: Shuffles per feature.
        seed: Seeds the sample and the shuffles.
    """
    from sklearn.inspection import permutation_importance as permuted

    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(len(features), size=min(rows, len(features)), replace=False))
    sample, truth = features.iloc[picked], target.iloc[picked]
    sign = 1.0 if objective.higher_is_better else -1.0

    def score(fitted: Model, shown: pd.DataFrame, truth: pd.Series) -> float:
        metrics = evaluator.compute_metrics(
            np.asarray(truth), np.asarray(fitted.predict(shown)), fitted.predict_proba(shown)
        )
        return sign * metrics.get(objective.metric, np.nan)

    result = permuted(
        model,
        sample,
        truth,
        scoring=score,
        n_repeats=repeats,
        random_state=seed,
    )
    found = [
        FeatureImportance(str(name), float(mean), float(std))
        for name, mean, std in zip(
            sample.columns, result.importances_mean, result.importances_std, strict=True
        )
    ]
    return sorted(found, key=lambda each: -each.mean if np.isfinite(each.mean) else np.inf)
