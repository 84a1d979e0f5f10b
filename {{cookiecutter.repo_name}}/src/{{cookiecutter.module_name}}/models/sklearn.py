"""Any scikit-learn estimator or pipeline as a model, named by import path in a config."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..imports import import_object
from ..safety import UntrustedModelError, allowed_pickle, pickle_refusal
from .base import Model, plain_values

if TYPE_CHECKING:
    import pandas as pd
    from mlflow.models import ModelInfo, ModelSignature
    from sklearn.base import BaseEstimator

logger = logging.getLogger(__name__)


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

    The model is stored with MLflow's ``sklearn`` flavor in the safe ``skops`` format. skops
    only loads types it trusts; the types of your own classes used in the estimator are
    added to the model's trusted list when it is logged. Objects skops cannot store at all
    (lambdas, classes defined inside functions) fall back to cloudpickle, with a log line.

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
        """Fit the estimator and return ``self``."""
        self.estimator_.fit(features, target)
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

    def log(
        self,
        name: str,
        *,
        signature: ModelSignature | None = None,
        input_example: pd.DataFrame | None = None,
        registered_model_name: str | None = None,
    ) -> ModelInfo:
        """Log the estimator with MLflow's ``sklearn`` flavor (see the class docstring)."""
        import mlflow.sklearn

        serialization: dict[str, Any] = {"serialization_format": "skops"}
        try:
            trusted = _skops_types_to_trust(self.estimator_)
        except Exception as error:  # skops cannot store or read back this object
            logger.warning(
                "skops cannot serialise this estimator (%s); storing it with cloudpickle "
                "instead, which can run code when loaded: only load it from a trusted store.",
                error,
            )
            serialization = {"serialization_format": "cloudpickle"}
        else:
            if trusted:
                logger.info("Trusting these types of the estimator for skops: %s", trusted)
                serialization["skops_trusted_types"] = trusted
        with allowed_pickle():  # MLflow reads back what this process just wrote
            return mlflow.sklearn.log_model(
                self.estimator_,
                name=name,
                signature=signature,
                input_example=input_example,
                registered_model_name=registered_model_name,
                pip_requirements=mlflow.sklearn.get_default_pip_requirements(
                    include_cloudpickle=serialization["serialization_format"] == "cloudpickle",
                    include_skops=serialization["serialization_format"] == "skops",
                ),
                **serialization,
            )

    @classmethod
    def load(cls, model_uri: str) -> SklearnModel:
        """Load an estimator logged by :meth:`log` in the skops format, without any pickle.

        skops only builds the types it is told to trust. They are computed here, from this
        project's own code, never read from the model's files (a model's own list of trusted
        types is written by whoever wrote the model): the types skops trusts by default, plus
        the classes defined in this project's package.

        Raises:
            UntrustedModelError: If the model is not in the skops format, or holds a type
                that neither skops nor this project defines.
        """
        import mlflow
        import skops.io

        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri))
        flavor = mlflow.models.Model.load(local).flavors.get("sklearn", {})
        serialization = flavor.get("serialization_format")
        if serialization != "skops":
            raise UntrustedModelError(pickle_refusal(model_uri, serialization))
        path = local / flavor["pickled_model"]
        untrusted = skops.io.get_untrusted_types(file=path)
        foreign = [name for name in untrusted if not _defined_in_project(name)]
        if foreign:
            raise UntrustedModelError(
                f"{model_uri} holds type(s) that neither skops nor this project's package "
                f"({_PROJECT_PACKAGE}) defines: {foreign}. Building them could run code the "
                "model's author chose; it was not loaded."
            )
        return cls(estimator=skops.io.load(path, trusted=untrusted), seed=None)

    @classmethod
    def load_pickled(cls, model_uri: str) -> SklearnModel:
        """Load an estimator stored with cloudpickle: it runs whatever code the file holds.

        Only for models you trust; :func:`~.loading.load_model` calls it only when the
        command or config opted in.
        """
        import mlflow.sklearn

        with allowed_pickle():
            return cls(estimator=mlflow.sklearn.load_model(model_uri), seed=None)


def _defined_in_project(type_name: str) -> bool:
    """Whether a type named ``module.Class`` is defined in this project's own package."""
    return type_name.startswith(f"{_PROJECT_PACKAGE}.")


_PROJECT_PACKAGE = __name__.split(".")[0]


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


def _skops_types_to_trust(estimator: BaseEstimator) -> list[str]:
    """Return the types in ``estimator`` that skops does not trust by default.

    They are the types of the object built from the project's own config and code, so
    trusting them when logging it is no more than running that code. MLflow records the list
    in the model, and loading checks the model against it.

    Raises:
        Exception: If skops cannot write the estimator or read it back (a lambda, say).
    """
    import skops.io

    data = skops.io.dumps(estimator)
    untrusted = skops.io.get_untrusted_types(data=data)
    skops.io.loads(data, trusted=untrusted)  # some objects are written but cannot be read
    return untrusted
