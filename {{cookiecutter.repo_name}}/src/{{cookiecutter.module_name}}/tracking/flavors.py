"""How each class of :class:`~..models.Model` is stored in MLflow, and read back.

:data:`FLAVORS` maps a model class to the MLflow flavor that stores it; the closest class of
a model in the table wins. A scikit-learn model is stored in MLflow's ``sklearn`` flavor
(skops format; cloudpickle for what skops cannot store); any other model as a
``python_function`` model holding the pickled object. Reading a model back happens only
after its files were verified (:mod:`.model_store`): then every type it names is trusted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..models import Model, SklearnModel
from ..signatures import UntrustedModelError
from .environment import allowed_pickle
from .skops_import import skops_io

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Flavor:
    """How models of a class are stored in MLflow, and read back.

    Attributes:
        name: The MLflow flavor, as a model's ``MLmodel`` file names it (``sklearn``...).
        arguments: Given a model, the MLflow flavor module that saves it and the keyword
            arguments of its ``save_model`` (the model object, serialization, requirements).
        load: Given a verified, downloaded model folder and the flavor's entry of its
            ``MLmodel`` file, the model.
    """

    name: str
    arguments: Callable[[Model], tuple[Any, dict[str, Any]]]
    load: Callable[[Path, dict[str, Any]], Model]


def _sklearn_arguments(model: Model) -> tuple[Any, dict[str, Any]]:
    import mlflow.sklearn

    assert isinstance(model, SklearnModel)
    serialization = _skops_or_cloudpickle(model.estimator_)
    pip = mlflow.sklearn.get_default_pip_requirements(
        include_cloudpickle=serialization["serialization_format"] == "cloudpickle",
        include_skops=serialization["serialization_format"] == "skops",
    )
    return mlflow.sklearn, {"sk_model": model.estimator_, "pip_requirements": pip, **serialization}


def _pyfunc_arguments(model: Model) -> tuple[Any, dict[str, Any]]:
    import mlflow.pyfunc

    from .pyfunc_adapter import PyfuncAdapter

    return mlflow.pyfunc, {
        "python_model": PyfuncAdapter(model),
        "pip_requirements": mlflow.pyfunc.get_default_pip_requirements(),
    }


def _skops_or_cloudpickle(estimator: object) -> dict[str, Any]:
    """Store with skops (MLflow's safe default) if it can write and read the estimator back.

    Objects skops cannot handle (lambdas, classes defined in functions) are stored with
    cloudpickle: equally safe here, since every model is verified before it is read.
    """
    skops = skops_io()
    try:
        data = skops.dumps(estimator)
        untrusted = skops.get_untrusted_types(data=data)
        skops.loads(data, trusted=untrusted)  # some objects are written but cannot be read
    except Exception as error:
        logger.info("skops cannot store this estimator (%s): using cloudpickle", error)
        return {"serialization_format": "cloudpickle"}
    # MLflow records the types its own loader should trust; this project's loader reads them
    # only from a verified model.
    return {"serialization_format": "skops", "skops_trusted_types": untrusted}


def _load_sklearn(local: Path, conf: dict[str, Any]) -> Model:
    """Read a verified scikit-learn model: every type its skops file names is trusted."""
    path = local / conf["pickled_model"]
    if conf.get("serialization_format") == "skops":
        skops = skops_io()
        estimator = skops.load(path, trusted=skops.get_untrusted_types(file=path))
    else:
        import cloudpickle

        with path.open("rb") as file:
            estimator = cloudpickle.load(file)
    return SklearnModel(estimator=estimator, seed=None)


def _load_pyfunc(local: Path, conf: dict[str, Any]) -> Model:
    """Read a verified model of a project ``Model`` class (a pickle of the adapter)."""
    import mlflow.pyfunc

    with allowed_pickle():
        adapter = mlflow.pyfunc.load_model(str(local)).unwrap_python_model()
    model = getattr(adapter, "model", None)
    if not isinstance(model, Model):
        raise UntrustedModelError(f"{local.name} is a python_function model of no project class")
    return model


# Which flavor stores a model, by its class: the closest class of a model in the table wins.
# A model whose MLmodel names several flavors is read with the first of them listed here.
# To store your own Model class in another MLflow flavor (a PyTorch network, say), add a
# Flavor for its class: the flavor module's arguments and a loader of the saved folder.
FLAVORS: dict[type[Model], Flavor] = {
    SklearnModel: Flavor("sklearn", _sklearn_arguments, _load_sklearn),
    Model: Flavor("python_function", _pyfunc_arguments, _load_pyfunc),
}


def flavor_of(model: Model) -> Flavor:
    """Return the flavor that stores ``model``: the entry of its closest class in FLAVORS."""
    for cls in type(model).__mro__:
        if cls in FLAVORS:
            return FLAVORS[cls]
    raise TypeError(f"{type(model).__name__} is not a Model: no flavor stores it")


def reader_of(flavors: dict[str, Any]) -> Flavor:
    """Return the flavor to read a model with, among those its ``MLmodel`` file names.

    Raises:
        UntrustedModelError: It names none of the flavors in :data:`FLAVORS`.
    """
    for flavor in FLAVORS.values():
        if flavor.name in flavors:
            return flavor
    known = ", ".join(flavor.name for flavor in FLAVORS.values())
    raise UntrustedModelError(f"The model has none of the flavors this project reads ({known})")
