"""Dataset building blocks: subclass :class:`Dataset` to add one (see its docstring)."""

from .base import Dataset, content_digest
from .sklearn_bundled import SklearnDataset
from .split import Split, split_dataset
from .tabular_file import TabularFileDataset

__all__ = [
    "Dataset",
    "SklearnDataset",
    "Split",
    "TabularFileDataset",
    "content_digest",
    "split_dataset",
]
