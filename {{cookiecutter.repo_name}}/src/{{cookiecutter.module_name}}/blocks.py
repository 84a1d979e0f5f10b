"""Find building blocks by short name or import path, and build them from a config.

A config's ``type`` is either one of the short names below or the import path of any
subclass of the matching base class, e.g. ``my_package.datasets.ChurnDataset``. Adding a
block therefore means writing one class and naming it in a config: the flow never changes.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from .config import BlockSpec, ConfigError
from .imports import PACKAGE, import_object

if TYPE_CHECKING:
    from .config import ExperimentConfig
    from .datasets import Dataset
    from .evaluation import Evaluator
    from .models import Model

# Short names accepted as `type:` in configs, relative to this package.
BUILT_IN: dict[str, dict[str, str]] = {
    "dataset": {
        "sklearn": ".datasets.sklearn_bundled.SklearnDataset",
        "file": ".datasets.tabular_file.TabularFileDataset",
    },
    "model": {
        "sklearn": ".models.sklearn.SklearnModel",
    },
    "evaluator": {
        "classification": ".evaluation.classification.ClassificationEvaluator",
        "regression": ".evaluation.regression.RegressionEvaluator",
    },
}
# Where an unsigned config may take scikit-learn estimators from: classes only (building one
# stores its parameters), never functions, which could do anything with theirs.
ESTIMATOR_PACKAGE = "sklearn"
BASES = {
    "dataset": ".datasets.base.Dataset",
    "model": ".models.base.Model",
    "evaluator": ".evaluation.base.Evaluator",
}


def resolve(kind: str, name: str) -> type:
    """Return the class of a building block named in a config.

    Args:
        kind: ``dataset``, ``model`` or ``evaluator``.
        name: A short name from :data:`BUILT_IN` or an import path.

    Raises:
        ConfigError: If the name is unknown or names something that is not a ``kind``.
    """
    path = BUILT_IN[kind].get(name, name)
    if "." not in path and ":" not in path:
        raise ConfigError(
            f"Unknown {kind} {name!r}: use one of {', '.join(BUILT_IN[kind])} "
            "or an import path such as package.module.ClassName"
        )
    block = import_object(path)
    base = import_object(BASES[kind])
    if not (isinstance(block, type) and issubclass(block, base)):
        raise ConfigError(
            f"{kind} {name!r} is not a subclass of {base.__module__}.{base.__name__}"
        )
    return block


def build(kind: str, spec: BlockSpec) -> Any:  # noqa: ANN401 - see the typed wrappers below
    """Build the block a config describes; options its class rejects are config errors.

    A model class that takes no ``seed`` argument is built without the config's seed: it is
    deterministic, or draws its randomness its own way.
    """
    block = resolve(kind, spec.type)
    options = dict(spec.options)
    if kind == "model" and "seed" in options and not _accepts(block, "seed"):
        del options["seed"]
    try:
        inspect.signature(block).bind(**options)
    except TypeError as error:
        raise ConfigError(f"Bad options for {kind} {spec.type!r} {options}: {error}") from None
    try:
        return block(**options)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"Cannot build {kind} {spec.type!r}: {error}") from error


def _accepts(block: type, argument: str) -> bool:
    """Whether a class's constructor takes ``argument`` by name (or any keyword)."""
    parameters = inspect.signature(block).parameters.values()
    return any(p.name == argument or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def build_dataset(spec: BlockSpec) -> Dataset:
    """Build the dataset of a config."""
    return build("dataset", spec)


def build_model(spec: BlockSpec) -> Model:
    """Build the (unfitted) model of a config."""
    return build("model", spec)


def build_evaluator(spec: BlockSpec) -> Evaluator:
    """Build the evaluator of a config."""
    return build("evaluator", spec)


def untrusted_import_paths(config: ExperimentConfig) -> list[str]:
    """Return what a config names outside this package's code and scikit-learn's estimators.

    Block types must be built-in names or this package's classes; a scikit-learn model's
    ``estimator`` must be this package's code or an estimator class of scikit-learn.
    """
    untrusted = []
    for kind, spec in (("dataset", config.dataset), ("model", config.model),
                       ("evaluator", config.evaluator)):  # fmt: skip
        if spec.type not in BUILT_IN[kind] and not _in_package(spec.type):
            untrusted.append(f"{kind}.type={spec.type}")
    estimator = config.model.options.get("estimator")
    if isinstance(estimator, str) and not (
        _in_package(estimator) or _is_estimator_class(estimator)
    ):
        untrusted.append(f"model.estimator={estimator}")
    return untrusted


def _in_package(path: str) -> bool:
    return path.startswith((f"{PACKAGE}.", f"{PACKAGE}:", "."))


def _is_estimator_class(path: str) -> bool:
    if not path.startswith(f"{ESTIMATOR_PACKAGE}."):
        return False
    from sklearn.base import BaseEstimator

    try:
        found = import_object(path)
    except ConfigError:
        return False
    return isinstance(found, type) and issubclass(found, BaseEstimator)
