"""Any scikit-learn estimator or pipeline as a model, named by import path in a config."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import ConfigError
from ..imports import import_object
from .base import Model, plain_values

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.base import BaseEstimator


class SklearnModel(Model):
    """A scikit-learn estimator or pipeline, built from an import path and parameters.

    ``estimator`` names either an estimator class, called with ``params``, or a factory
    function returning an estimator or a pipeline, called with ``params``::

        model:
          type: sklearn
          estimator: sklearn.ensemble.RandomForestClassifier   # or my_package.make_pipeline
          params: {n_estimators: 200}

    Every ``random_state`` left unset in the estimator (including inside a pipeline) is set
    to ``seed``, so training is reproducible.

    It is stored in MLflow's ``sklearn`` flavor (skops format; cloudpickle for what skops
    cannot store, such as lambdas), and any estimator loads back: trees, boosting, imputers,
    column selectors and your own transformers alike (docs/building-blocks.md).

    Args:
        estimator: Import path of an estimator class or factory, or an estimator object.
        params: Keyword arguments for the class or factory.
        seed: Value given to every unset ``random_state`` (None: leave them unset).
    """

    def __init__(
        self,
        estimator: str | BaseEstimator,
        params: dict[str, Any] | None = None,
        seed: int | None = 0,
    ) -> None:
        """Build the (unfitted) estimator."""
        self.estimator = estimator
        self.params = dict(params or {})
        self.seed = seed
        if isinstance(estimator, str):
            self.estimator_ = import_object(estimator)(**self.params)
        else:
            self.estimator_ = estimator
        for method in ("fit", "predict"):
            if not callable(getattr(self.estimator_, method, None)):
                raise TypeError(f"{estimator!r} built an object without a {method}() method")
        if seed is not None:
            _seed_unset_random_states(self.estimator_, seed)

    def fit(self, features: pd.DataFrame, target: pd.Series) -> SklearnModel:
        """Fit the estimator and return ``self``.

        Raises:
            ConfigError: The estimator refused one of its parameters (``C=abc``, say):
                scikit-learn checks them when fitting.
        """
        try:
            self.estimator_.fit(features, target)
        except (ValueError, TypeError) as error:
            # scikit-learn's InvalidParameterError: a bad value in model.params.
            if type(error).__name__ != "InvalidParameterError":
                raise
            raise ConfigError(f"Bad model.params for {self.estimator!r}: {error}") from None
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Return the estimator's predictions."""
        return np.asarray(self.estimator_.predict(features))

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray | None:
        """Return class probabilities if the estimator has ``predict_proba``, else None."""
        if not hasattr(self.estimator_, "predict_proba"):
            return None
        return np.asarray(self.estimator_.predict_proba(features))

    def hyperparameters(self) -> dict[str, str | int | float | bool | None]:
        """Return the estimator's parameters, nested ones and defaults included.

        For a pipeline, ``step__param`` names each step's parameters, as scikit-learn does.
        """
        return plain_values(self.estimator_.get_params(deep=True))


def _seed_unset_random_states(estimator: BaseEstimator, seed: int) -> None:
    """Set every ``random_state`` parameter that is None, pipelines included."""
    if not hasattr(estimator, "get_params"):
        return
    unset = {
        key: seed
        for key, value in estimator.get_params(deep=True).items()
        if key.split("__")[-1] == "random_state" and value is None
    }
    if unset:
        estimator.set_params(**unset)
