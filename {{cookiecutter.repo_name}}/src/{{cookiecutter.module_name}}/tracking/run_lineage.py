"""A training run's row lineage: the fingerprints of the rows it trained and was scored on.

Logged as two signed NumPy arrays, ``lineage/trained.npy`` and ``lineage/held_out.npy``
(sorted, unique ``uint64``: at most 8 bytes a row), with their counts as parameters. Read
back by ``promote`` and ``monitor`` to find the rows a model never trained on; a run logged
before lineage existed has none (:func:`read_lineage` returns None). A promotion run logs
the rows it compared the models on, ``lineage/compared.npy``.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import signatures
from ..datasets import RowLineage
from .retries import retried

if TYPE_CHECKING:
    from ..datasets import Split

LINEAGE_FOLDER = "lineage"
PARTS = ("trained", "held_out")  # the arrays, as RowLineage's fields
COMPARED = "compared"  # a promotion's rows


def log_lineage(split: Split) -> RowLineage:
    """Log the lineage of the active run's split (signed), and return it."""
    import mlflow

    lineage = RowLineage.of(split.train_rows, split.test_rows)
    _log_arrays({part: getattr(lineage, part) for part in PARTS})
    counts = {f"lineage.{part}_rows": len(getattr(lineage, part)) for part in PARTS}
    retried(lambda: mlflow.log_params(counts))
    return lineage


def log_compared_rows(rows: np.ndarray) -> None:
    """Log which rows a promotion scored both models on, ``lineage/compared.npy`` (signed).

    With the models' own lineage, anyone can check that no compared row trained either.
    """
    _log_arrays({COMPARED: np.unique(rows)})


def _log_arrays(arrays: dict[str, np.ndarray]) -> None:
    import mlflow

    with tempfile.TemporaryDirectory(prefix="lineage-") as folder:
        for name, values in arrays.items():
            path = Path(folder) / f"{name}.npy"
            np.save(path, values, allow_pickle=False)
            signatures.sign_file(path)
        retried(lambda: mlflow.log_artifacts(folder, artifact_path=LINEAGE_FOLDER))


def read_lineage(run_id: str) -> RowLineage | None:
    """Return the lineage a training run logged, verified; None if it logged none.

    Raises:
        UntrustedModelError: The arrays were changed after they were signed.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    with tempfile.TemporaryDirectory(prefix="lineage-") as folder:
        with contextlib.suppress(MlflowException, OSError):  # a run logged before lineage
            retried(
                lambda: mlflow.artifacts.download_artifacts(
                    run_id=run_id, artifact_path=LINEAGE_FOLDER, dst_path=folder
                )
            )
        arrays = {}
        for part in PARTS:
            path = Path(folder) / LINEAGE_FOLDER / f"{part}.npy"
            if not path.is_file():
                return None
            what = f"The {part} rows of run {run_id}"
            signatures.verify(path, signatures.signature_of(path), what)
            arrays[part] = np.load(path, allow_pickle=False)
    return RowLineage(**arrays)
