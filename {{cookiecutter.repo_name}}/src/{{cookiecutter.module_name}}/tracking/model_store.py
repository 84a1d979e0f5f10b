"""Models in MLflow: logged in their flavor and signed; verified before anything is read.

A :class:`~..models.Model` is stored with the MLflow flavor its class maps to in
:data:`.flavors.FLAVORS`, and the folder MLflow uploads is signed by whoever trains it
(:mod:`..signatures`) before it leaves the machine. Loading resolves an alias once,
to a fixed version, downloads that version to a private folder, verifies its signature
against the trusted signers and only then deserializes it: whatever the format, nothing an
untrusted author wrote is ever read. The model's input schema comes from the same download,
so a command reads a model's metadata once.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import signatures
from ..errors import RefusedError
from .environment import allowed_pickle, quiet_dataset_warnings
from .flavors import flavor_of, reader_of
from .model_inputs import InputColumn, inputs_of
from .retries import retried

if TYPE_CHECKING:
    import pandas as pd
    from mlflow.models import Model as MlflowModel
    from mlflow.models import ModelInfo

    from ..models import Model

logger = logging.getLogger(__name__)

MODEL_NAME = "model"  # the model's name within its training run
SIGNER_TAG = "model.signed_by"  # on a training run: who signed its model


class MissingModelError(RefusedError, LookupError):
    """The model, version or alias a command names does not exist; the message says which."""


class ModelDoesNotReloadError(RefusedError, RuntimeError):
    """A logged model did not load back to the same predictions: it must not be registered."""


def log_model(model: Model, features: pd.DataFrame, predictions: np.ndarray) -> ModelInfo:
    """Log a fitted model to the active run, signed, and prove it loads back the same.

    The folder MLflow saves is signed before it is uploaded, with its signature and a few
    input rows as an example. Then the logged model is loaded back through the project's
    loader, as every command loads it, and must predict exactly as ``model`` on ``features``
    (MLflow's own check of the serving example, which would load it once more, is skipped).
    The run is tagged with the signer.

    Raises:
        ModelDoesNotReloadError: The stored model predicts differently, or does not load.
    """
    import mlflow
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
    logged = retried(log, conflicts=False)
    stored = check_reloads(logged.model_uri, model, features)
    retried(lambda: mlflow.set_tag(SIGNER_TAG, stored.signer))
    return logged


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
        flavor = reader_of(metadata.flavors)
        model = flavor.load(local, metadata.flavors[flavor.name])
    return StoredModel(model, uri, version, signer, flavor.name, inputs_of(metadata), metadata)


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
