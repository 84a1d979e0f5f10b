"""Models in MLflow: logged in their flavor and signed; verified before anything is read.

A :class:`~..models.Model` is stored with the MLflow flavor its class maps to in
:data:`FLAVORS` (scikit-learn models in MLflow's ``sklearn`` flavor, skops format; any other
model as a ``python_function`` model), and the folder MLflow uploads is signed by whoever
trains it (:mod:`..signatures`) before it leaves the machine. Loading resolves an alias once,
to a fixed version, downloads that version to a private folder, verifies its signature
against the trusted signers and only then deserializes it: whatever the format, nothing an
untrusted author wrote is ever read. The model's input schema comes from the same download,
so a command reads a model's metadata once.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import signatures
from ..models import Model, SklearnModel
from ..signatures import UntrustedModelError
from .environment import allowed_pickle, quiet_dataset_warnings
from .retries import retried

if TYPE_CHECKING:
    import pandas as pd
    from fastapi import FastAPI
    from mlflow.models import Model as MlflowModel
    from mlflow.models import ModelInfo

logger = logging.getLogger(__name__)

MODEL_NAME = "model"  # the model's name within its training run


class MissingModelError(LookupError):
    """The model, version or alias a command names does not exist; the message says which."""


class InputMismatchError(ValueError):
    """Rows whose columns do not have the types a model's signature expects."""


class ModelDoesNotReloadError(RuntimeError):
    """A logged model did not load back to the same predictions: it must not be registered."""


# --- Logging --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flavor:
    """How models of a class are stored in MLflow.

    Attributes:
        name: The MLflow flavor that loads them back (``sklearn``, ``python_function``).
        arguments: Given the model, the flavor module and the keyword arguments of its
            ``save_model`` (the model object, serialization, requirements...).
    """

    name: str
    arguments: Callable[[Model], tuple[Any, dict[str, Any]]]


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


# Which flavor stores a model, by its class (the most specific class listed wins). To store
# your own Model class in another MLflow flavor, add it here with a loader in _LOADERS.
FLAVORS: dict[type[Model], Flavor] = {
    SklearnModel: Flavor("sklearn", _sklearn_arguments),
    Model: Flavor("python_function", _pyfunc_arguments),
}


def flavor_of(model: Model) -> Flavor:
    """Return the flavor that stores ``model``: the entry of its closest class in FLAVORS."""
    for cls in type(model).__mro__:
        if cls in FLAVORS:
            return FLAVORS[cls]
    raise TypeError(f"{type(model).__name__} is not a Model: no flavor stores it")


def log_model(model: Model, features: pd.DataFrame, predictions: np.ndarray) -> ModelInfo:
    """Log a fitted model to the active run, signed, with its signature and example rows.

    The folder MLflow saves is signed before it is uploaded. MLflow's own check of the
    serving example (which would load the model again) is skipped: :func:`check_reloads`
    loads it back through the project's loader instead.
    """
    from mlflow.models import Model as MlflowModel
    from mlflow.models import infer_signature

    module, arguments = flavor_of(model).arguments(model)
    with quiet_dataset_warnings():
        signature = infer_signature(features, predictions)

    def log() -> ModelInfo:
        with allowed_pickle():  # a python_function model is read back while it is saved
            return MlflowModel.log(
                artifact_path=None,
                name=MODEL_NAME,
                flavor=_SignedFlavor(module),
                signature=signature,
                input_example=features.head(5),
                validate_serving_input=False,
                **arguments,
            )

    # A busy server may refuse one of the many requests of a model log; logging again writes
    # a new, whole logged model: the run's model is the last one, and only that one is ever
    # registered.
    return retried(log, conflicts=False)


class _SignedFlavor:
    """An MLflow flavor module that signs the folder it saved, before MLflow uploads it.

    ``mlflow.models.Model.log`` saves a model with its ``flavor`` argument's ``save_model``
    and uploads the folder: this wrapper signs the folder in between.
    """

    def __init__(self, module: Any) -> None:  # noqa: ANN401 - an MLflow flavor module
        self.module = module
        self.__name__ = module.__name__  # recorded by MLflow as the model's flavor

    def save_model(self, path: str, mlflow_model: MlflowModel, **arguments: Any) -> None:  # noqa: ANN401
        """Save with the real flavor, then sign every file of the folder."""
        arguments.pop("validate_serving_input", None)  # read by Model.log, not a save option
        self.module.save_model(path=path, mlflow_model=mlflow_model, **arguments)
        for cache in Path(path).rglob("__pycache__"):  # MLflow deletes them after saving
            shutil.rmtree(cache, ignore_errors=True)
        signatures.sign_folder(Path(path))


def _skops_or_cloudpickle(estimator: object) -> dict[str, Any]:
    """Store with skops (MLflow's safe default) if it can write and read the estimator back.

    Objects skops cannot handle (lambdas, classes defined in functions) are stored with
    cloudpickle: equally safe here, since every model is verified before it is read.
    """
    import skops.io

    try:
        data = skops.io.dumps(estimator)
        untrusted = skops.io.get_untrusted_types(data=data)
        skops.io.loads(data, trusted=untrusted)  # some objects are written but cannot be read
    except Exception as error:
        logger.info("skops cannot store this estimator (%s): using cloudpickle", error)
        return {"serialization_format": "cloudpickle"}
    # MLflow records the types its own loader should trust; this project's loader reads them
    # only from a verified model.
    return {"serialization_format": "skops", "skops_trusted_types": untrusted}


# --- Loading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputColumn:
    """One input column of a model: its name and the MLflow type it expects."""

    name: str
    type: str
    numpy_type: Any


@dataclass(frozen=True)
class StoredModel:
    """A model loaded from the store, and what its loading proved.

    Attributes:
        model: The model, ready to predict.
        uri: The fixed URI loaded (an alias is resolved once, e.g. to ``models:/churn/3``).
        version: Its registered version, if it was loaded from the registry.
        signer: Who signed it; None for an unsigned model loaded with ``--trust-pickle``.
        flavor: The MLflow flavor it was loaded from.
        inputs: Its input columns, from its signature (None without one).
        metadata: MLflow's description of it (its ``MLmodel`` file).
    """

    model: Model
    uri: str
    version: str | None
    signer: str | None
    flavor: str
    inputs: tuple[InputColumn, ...] | None
    metadata: MlflowModel

    @property
    def input_names(self) -> list[str] | None:
        """The names of the input columns, in order (None: the model has no signature)."""
        return None if self.inputs is None else [column.name for column in self.inputs]


def resolve(model_uri: str) -> tuple[str, str | None]:
    """Return the fixed URI a model URI names now, and its registered version if any.

    ``models:/name@alias`` is resolved to ``models:/name/N``; other URIs are fixed already.

    Raises:
        MissingModelError: If the registered model, version or alias does not exist.
    """
    from . import registry

    if not model_uri.startswith("models:/") or model_uri.startswith("models:/m-"):
        return model_uri, None
    path = model_uri.removeprefix("models:/")
    if "@" in path:
        name, alias = path.split("@", 1)
        version = registry.version_by_alias(name, alias)
        if version is None:
            raise MissingModelError(
                f"{model_uri} does not exist: {name!r} has no {alias!r} version (train and "
                "promote a model first, `make train` and `make promote`, or pass --model-uri)"
            )
        return registry.version_uri(version), str(version.version)
    name, _, number = path.rpartition("/")
    if not name or not number.isdigit():
        raise MissingModelError(
            f"{model_uri} is not a model URI: use models:/NAME@ALIAS, models:/NAME/VERSION or "
            "runs:/RUN_ID/model"
        )
    if registry.get_version(name, number) is None:
        raise MissingModelError(f"{model_uri} does not exist: {name!r} has no version {number}")
    return model_uri, number


def load(model_uri: str, *, trust_unsigned: bool = False) -> StoredModel:
    """Load a model after verifying that a trusted signer made exactly these files.

    Args:
        model_uri: E.g. ``models:/name@champion``, ``models:/name/3``, ``runs:/<id>/model``.
        trust_unsigned: Also load a model that is unsigned or signed by a key the project
            does not trust (``--trust-pickle``): for models from outside, whose source you
            trust. A model changed after it was signed is never loaded.

    Raises:
        MissingModelError: No such model.
        UntrustedModelError: Not verified, and not trusted by the caller.
    """
    uri, version = resolve(model_uri)
    with tempfile.TemporaryDirectory(prefix="model-") as folder:
        local = _download(uri, Path(folder))
        signer = _verified_signer(local, uri, trust_unsigned=trust_unsigned)
        from mlflow.models import Model as MlflowModel

        metadata = MlflowModel.load(local)
        for flavor, loader in _LOADERS.items():
            if flavor in metadata.flavors:
                model = loader(local, metadata.flavors[flavor])
                break
        else:
            raise UntrustedModelError(
                f"{uri} has none of the flavors this project loads ({', '.join(_LOADERS)})"
            )
    return StoredModel(model, uri, version, signer, flavor, _inputs(metadata), metadata)


def verify(model_uri: str, *, trust_unsigned: bool = False) -> tuple[str, str | None]:
    """Check a model as :func:`load` does, without reading it: (its fixed URI, its signer)."""
    uri, _ = resolve(model_uri)
    with tempfile.TemporaryDirectory(prefix="model-") as folder:
        local = _download(uri, Path(folder))
        return uri, _verified_signer(local, uri, trust_unsigned=trust_unsigned)


def check_reloads(model_uri: str, model: Model, features: pd.DataFrame) -> StoredModel:
    """Load a just-logged model through :func:`load` and check it predicts as ``model`` does.

    Raises:
        ModelDoesNotReloadError: Different predictions or scores: the stored model is not the
            trained one, and must not be registered.
    """
    stored = load(model_uri)
    pairs = [(stored.model.predict(features), model.predict(features))]
    if (scores := model.predict_proba(features)) is not None:
        pairs.append((stored.model.predict_proba(features), scores))
    if not all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in pairs):
        raise ModelDoesNotReloadError(
            f"{model_uri} loaded back from the store predicts differently from the model just "
            f"trained ({type(model).__name__}): it was not registered. A model must store "
            "everything it predicts with."
        )
    return stored


def _download(uri: str, folder: Path) -> Path:
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        path = retried(
            lambda: mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(folder))
        )
    except MlflowException as error:
        if "RESOURCE_DOES_NOT_EXIST" in str(error) or "not found" in str(error).lower():
            raise MissingModelError(f"{uri} does not exist in the store") from None
        raise
    local = Path(str(path))
    if not (local / "MLmodel").is_file():
        raise MissingModelError(f"{uri} is not a model (no MLmodel file)")
    return local


def _verified_signer(local: Path, uri: str, *, trust_unsigned: bool) -> str | None:
    """Return the trusted signer of a downloaded model; None if unsigned but trusted."""
    try:
        return signatures.verify(local, local / signatures.SIGNATURE_FILE, uri).name
    except signatures.UnsignedModelError as error:  # a tampered model is never trusted
        if not trust_unsigned:
            raise
        logger.warning("Loading %s although it is not verified (--trust-pickle): %s", uri, error)
        return None


def _load_sklearn(local: Path, conf: dict[str, Any]) -> Model:
    """Read a verified scikit-learn model: every type its skops file names is trusted."""
    path = local / conf["pickled_model"]
    if conf.get("serialization_format") == "skops":
        import skops.io

        estimator = skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
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


# Flavors the loader reads, in order of preference when a model has several.
_LOADERS: dict[str, Callable[[Path, dict[str, Any]], Model]] = {
    "sklearn": _load_sklearn,
    "python_function": _load_pyfunc,
}


def _inputs(metadata: MlflowModel) -> tuple[InputColumn, ...] | None:
    schema = metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        return None
    return tuple(
        InputColumn(str(spec.name), spec.type.name, spec.type.to_numpy()) for spec in schema.inputs
    )


def conform(
    features: pd.DataFrame, inputs: tuple[InputColumn, ...], first_row: int
) -> pd.DataFrame:
    """Check each column's type against the model's signature and cast it to the exact type.

    Raises:
        InputMismatchError: Naming each wrong column and the rows it was found in.
    """
    wrong, casts = [], {}
    for column in inputs:
        dtype = features[column.name].dtype
        if not _compatible(column.type, dtype):
            wrong.append(f"{column.name!r} is {dtype}, the model expects {column.type}")
        elif column.numpy_type != dtype:
            casts[column.name] = column.numpy_type
    if wrong:
        last_row = first_row + len(features) - 1
        raise InputMismatchError(
            f"Wrong column type(s) in rows {first_row}-{last_row}: {'; '.join(wrong)}"
        )
    return features.astype(casts) if casts else features


def _compatible(expected: str, dtype: object) -> bool:
    """Whether values of ``dtype`` can be given as the signature's ``expected`` type."""
    import pandas as pd

    types = pd.api.types
    if expected in ("double", "float"):
        return types.is_numeric_dtype(dtype) and not types.is_bool_dtype(dtype)
    if expected in ("integer", "long"):
        return types.is_integer_dtype(dtype)
    if expected == "boolean":
        return types.is_bool_dtype(dtype)
    if expected == "string":
        return types.is_string_dtype(dtype) or types.is_object_dtype(dtype)
    if expected == "datetime":
        return types.is_datetime64_any_dtype(dtype)
    return True


def scoring_app(stored: StoredModel) -> FastAPI:
    """Return MLflow's scoring server app (``/ping``, ``/invocations``) for a loaded model.

    The app checks requests against the model's signature and answers with the model's
    own ``predict``, exactly as ``predict`` scores a file.
    """
    from mlflow.pyfunc import PyFuncModel, scoring_server

    served = PyFuncModel(model_meta=stored.metadata, model_impl=_Predicting(stored.model))
    return scoring_server.init(served)


class _Predicting:
    """What MLflow's scoring server calls: ``predict(data, params)``, the model's labels."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def predict(self, data: pd.DataFrame, params: dict[str, Any] | None = None) -> np.ndarray:
        return self.model.predict(data)
