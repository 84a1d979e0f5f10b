"""Dataset building blocks: subclass :class:`Dataset` to add one (see its docstring)."""

from .base import Dataset, content_digest
from .fingerprints import row_fingerprints
from .lineage import FreshRows, RowLineage, fresh_rows
from .sklearn_bundled import SklearnDataset
from .split import Split, dataset_fingerprints, split_dataset
from .tabular_file import TabularFileDataset

__all__ = [
    "Dataset",
    "FreshRows",
    "RowLineage",
    "SklearnDataset",
    "Split",
    "TabularFileDataset",
    "content_digest",
    "dataset_fingerprints",
    "fresh_rows",
    "row_fingerprints",
    "split_dataset",
]
