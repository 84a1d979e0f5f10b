"""Import an object by its dotted path, as configs name classes and functions.

Building a config imports and calls what it names: see :func:`.blocks.untrusted_import_paths`
for which names a config read back from the store may carry unsigned.
"""

from __future__ import annotations

import importlib
from typing import Any

from .config import ConfigError

PACKAGE = __name__.rpartition(".")[0]


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
