"""Pipelines and transformers of this project, to name in configs by import path.

A factory function is the simplest way to make a whole pipeline configurable: its
arguments become ``model.params`` in the config, e.g. ``model.params.C=0.5``.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted


class QuantileClipper(TransformerMixin, BaseEstimator):
    """Clip each feature to quantiles learnt on the training data, to tame outliers.

    A custom transformer like any you may write: because it is a class of this project,
    skops does not trust it by default, and :class:`~.sklearn.SklearnModel` handles that
    when the model is logged.

    Args:
        quantile: Clip below this quantile and above ``1 - quantile`` (0 disables clipping).
    """

    def __init__(self, quantile: float = 0.01) -> None:
        """Store the parameter; learning happens in :meth:`fit`."""
        self.quantile = quantile

    def fit(self, features: np.ndarray, target: np.ndarray | None = None) -> QuantileClipper:
        """Learn the lower and upper bound of every feature."""
        if not 0 <= self.quantile < 0.5:
            raise ValueError(f"quantile must be in [0, 0.5), got {self.quantile}")
        values = np.asarray(features, dtype=float)
        self.lower_, self.upper_ = np.nanquantile(
            values, [self.quantile, 1 - self.quantile], axis=0
        )
        self.n_features_in_ = values.shape[1]
        return self

    def transform(self, features: np.ndarray) -> np.ndarray:
        """Return the features clipped to the learnt bounds."""
        check_is_fitted(self)
        return np.clip(np.asarray(features, dtype=float), self.lower_, self.upper_)


def logistic_regression(C: float = 1.0, max_iter: int = 1000, clip: float = 0.01) -> Pipeline:  # noqa: N803 - scikit-learn's name
    """Clip outliers, standardise, then fit a logistic regression.

    Args:
        C: Inverse of the regularisation strength.
        max_iter: Maximum number of solver iterations.
        clip: Quantile at which each feature is clipped (see :class:`QuantileClipper`).
    """
    return make_pipeline(
        QuantileClipper(quantile=clip),
        StandardScaler(),
        LogisticRegression(C=C, max_iter=max_iter),
    )
