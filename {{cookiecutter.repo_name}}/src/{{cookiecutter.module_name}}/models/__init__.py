"""Model building blocks: subclass :class:`Model` to add one (see its docstring)."""

from .base import Model
from .sklearn import SklearnModel

__all__ = ["Model", "SklearnModel"]
