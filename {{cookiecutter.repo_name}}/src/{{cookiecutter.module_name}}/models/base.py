"""The model building block: something that is fitted and predicts."""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


class Model(ABC):
    """A trainable model, modelled on scikit-learn's estimator API.

    A subclass must implement :meth:`fit` and :meth:`predict`. Everything else has a default:

    - :meth:`predict_proba` returns None (no scores): override it for classifiers so the
      evaluator can report ROC AUC and log loss;
    - :meth:`get_params` returns the constructor arguments, found by name as in
      scikit-learn: store each ``__init__`` argument in an attribute of the same name;
    - :meth:`hyperparameters` returns the simple ones among them, logged with every run.

    How a model is stored in MLflow is not its concern: the experiment layer stores any
    ``Model`` as a ``python_function`` model, and scikit-learn models in their own flavor
    (docs/building-blocks.md, "How a model is stored").

    Example, a baseline that always predicts the most frequent class::

        class MajorityClass(Model):
            def fit(self, features, target):
                self.majority_ = target.mode()[0]
                return self

            def predict(self, features):
                return np.full(len(features), self.majority_)

    Name it in a config with ``model.type: my_package.models.MajorityClass``.

    Attributes:
        permutation_importance: Whether training measures this model's permutation
            importance (``features x repeats`` extra scorings of sampled held-out rows); set
            it to False in a subclass too slow to score that often.
    """

    permutation_importance: ClassVar[bool] = True

    @abstractmethod
    def fit(self, features: pd.DataFrame, target: pd.Series) -> Model:
        """Learn from the training rows and return ``self``."""

    @abstractmethod
    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Return one prediction per row of ``features``."""

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray | None:
        """Return class probabilities, shape (n_rows, n_classes), or None if unavailable.

        Columns follow the sorted class labels, as in scikit-learn's ``predict_proba``.
        """
        return None

    def get_params(self) -> dict[str, Any]:
        """Return the constructor arguments, read from the attributes of the same name."""
        signature = inspect.signature(type(self).__init__)
        return {
            name: getattr(self, name)
            for name, parameter in signature.parameters.items()
            if name != "self"
            and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
            and hasattr(self, name)
        }

    def hyperparameters(self) -> dict[str, str | int | float | bool | None]:
        """Return every setting that decides how the model learns, defaults included.

        Each run logs them as ``hyperparameters.<name>`` params, so a run says how to
        rebuild its model even for values the config left to their defaults. Only plain
        values (text, numbers, booleans, None) are kept.
        """
        return plain_values(self.get_params())

    def __repr__(self) -> str:
        """Show the class and its parameters, as scikit-learn does."""
        params = ", ".join(f"{key}={value!r}" for key, value in self.get_params().items())
        return f"{type(self).__name__}({params})"


def plain_values(params: dict[str, Any]) -> dict[str, str | int | float | bool | None]:
    """Keep the values that are text, numbers, booleans or None."""
    return {
        key: value
        for key, value in params.items()
        if value is None or isinstance(value, str | int | float | bool)
    }
