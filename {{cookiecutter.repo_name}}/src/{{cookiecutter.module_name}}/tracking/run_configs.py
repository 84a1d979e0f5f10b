"""A run's config: signed when a training logs it, verified when a command reads it back.

``reproduce`` and ``monitor`` rebuild a training's config from the store, and building a
config imports and calls what it names: so the config is logged as ``config.yaml`` with its
signature beside it, and read back only if it is signed by a trusted signer or names nothing
but this project's blocks and scikit-learn's estimators.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .. import signatures
from ..config import dump_yaml
from .retries import retried
from .runs import MissingRunError

if TYPE_CHECKING:
    from ..config import ExperimentConfig

CONFIG_ARTIFACT = "config.yaml"  # a run's config, signed: config.yaml.sig beside it


def log_signed_config(config: ExperimentConfig) -> None:
    """Log the config of the active run as ``config.yaml``, signed by this person's key."""
    import mlflow

    with tempfile.TemporaryDirectory(prefix="config-") as folder:
        path = Path(folder) / CONFIG_ARTIFACT
        path.write_text(dump_yaml(config.to_dict()), encoding="utf-8")
        signatures.sign_file(path)
        retried(lambda: mlflow.log_artifacts(folder))


def run_config(run_id: str) -> ExperimentConfig:
    """Rebuild the config a run logged (its ``config.yaml`` artifact), if it can be trusted.

    Building a config's blocks imports and calls what it names, so a config read back from
    the store is used only if a trusted signer signed it with the run, or, unsigned (runs
    logged before configs were signed), if it names only this project's blocks and
    scikit-learn estimators (:func:`..blocks.untrusted_import_paths`).

    Raises:
        UntrustedModelError: The config was changed after it was signed, or it is unsigned
            and names other code.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    from ..blocks import untrusted_import_paths
    from ..config import parse_logged_config

    what = f"The config of run {run_id}"
    with tempfile.TemporaryDirectory(prefix="config-") as folder:
        path = Path(folder) / CONFIG_ARTIFACT
        for name in (CONFIG_ARTIFACT, signatures.signature_of(path).name):
            with contextlib.suppress(MlflowException):  # a missing signature is checked below
                retried(
                    lambda n=name: mlflow.artifacts.download_artifacts(
                        run_id=run_id, artifact_path=n, dst_path=folder
                    )
                )
        if not path.is_file():
            raise MissingRunError(f"Run {run_id} logged no {CONFIG_ARTIFACT}")
        try:
            signatures.verify(path, signatures.signature_of(path), what)
            signed = True
        except signatures.UnsignedModelError:
            signed = False
        config = parse_logged_config(path.read_text(encoding="utf-8"))
    if not signed and (untrusted := untrusted_import_paths(config)):
        raise signatures.UntrustedModelError(
            f"{what} is not signed by a trusted signer and names code outside this project and "
            f"scikit-learn's estimators: {', '.join(untrusted)}. It was not used: building it "
            "would run that code. Train again from a config file you trust."
        )
    return config
