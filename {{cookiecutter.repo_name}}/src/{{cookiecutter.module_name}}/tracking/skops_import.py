"""Import ``skops.io`` without building the lists of types it trusts by default.

At import, skops lists the types it trusts by default: it imports every scikit-learn
estimator (``sklearn.utils.all_estimators``) and finds the module of every NumPy and SciPy
ufunc by searching every loaded module, which is slower the more a command has imported
(seconds, when MLflow is loaded). This project never relies on those lists: a model is
trusted by its signature, and every type its verified file names is passed to skops
explicitly. So while skops builds them, the two functions that fill them return nothing,
and loading a model imports only the modules its estimator lives in.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

# The skops module that builds the default lists, from these two functions.
_LISTS_MODULE = "skops.io._trusted_types"


def skops_io() -> ModuleType:
    """Return ``skops.io``, imported (once) without its default trusted lists."""
    if "skops.io" not in sys.modules:
        finder = _WithoutDefaultLists()
        sys.meta_path.insert(0, finder)
        try:
            import skops.io  # noqa: F401 - imported for sys.modules
        finally:
            sys.meta_path.remove(finder)
    return sys.modules["skops.io"]


def _nothing(*args: object, **kwargs: object) -> list[str]:
    """Stands in for a list builder: no type is trusted by default."""
    return []


class _WithoutDefaultLists(importlib.abc.MetaPathFinder):
    """Finds skops' list module as usual, and runs it with the list builders emptied."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _LISTS_MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and isinstance(spec.loader, importlib.abc.Loader):
            spec.loader = _EmptyListsLoader(spec.loader)
        return spec


class _EmptyListsLoader(importlib.abc.Loader):
    """Runs a module while ``all_estimators`` and skops' ufunc search return nothing."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        import sklearn.utils

        skops_utils = importlib.import_module("skops.io._utils")
        saved = sklearn.utils.all_estimators, skops_utils.get_public_type_names
        sklearn.utils.all_estimators = skops_utils.get_public_type_names = _nothing
        try:
            self.loader.exec_module(module)
        finally:
            sklearn.utils.all_estimators, skops_utils.get_public_type_names = saved
