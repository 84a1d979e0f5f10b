"""Import an object by its dotted path, as configs name classes and functions.

Building a config imports and calls what it names. A config in ``configs/`` is the team's own
code; one read back from the store is trusted only if a trusted signer signed it, or if it
names nothing but this package's code and scikit-learn's estimators
(:func:`untrusted_import_paths`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .config import ConfigError

if TYPE_CHECKING:
    from .config import ExperimentConfig

PACKAGE = __name__.rpartition(".")[0]
# Where an unsigned config may take scikit-learn estimators from: classes only (building one
# stores its parameters), never functions, which could do anything with theirs.
ESTIMATOR_PACKAGE = "sklearn"


def import_object(path: str) -> Any:  # noqa: ANN401 - returns whatever the path names
    """Return the object named by an import path such as ``package.module.ClassName``.

    ``package.module:ClassName`` is accepted too, and a leading dot is relative to this
    package (``.models.sklearn.SklearnModel``).
    """
    if path.startswith("."):
        path = f"{PACKAGE}{path}"
    module_name, _, name = path.rpartition(":") if ":" in path else path.rpartition(".")
    if not module_name or not name:
        raise ConfigError(f"{path!r} is not an import path such as package.module.ClassName")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise ConfigError(f"Cannot import {path!r}: {error}") from error
    try:
        return getattr(module, name)
    except AttributeError:
        raise ConfigError(f"Module {module_name!r} has no attribute {name!r}") from None


def untrusted_import_paths(config: ExperimentConfig) -> list[str]:
    """Return what a config names outside this package's code and scikit-learn's estimators.

    Block types must be built-in names or this package's classes; a scikit-learn model's
    ``estimator`` must be this package's code or an estimator class of scikit-learn.
    """
    from .blocks import BUILT_IN

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
