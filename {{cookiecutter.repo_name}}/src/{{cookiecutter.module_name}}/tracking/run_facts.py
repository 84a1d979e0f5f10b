"""What the store says about a registered version, for its model card.

The model's identity comes from its loaded, verified copy; the rest from its training run:
the data and rows it recorded, the code and environment, the config (verified, as
``reproduce`` reads it) and the permutation importance it measured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import provenance
from ..config import dump_yaml
from ..evaluation.importance import FeatureImportance
from .recording import DATASET_VERSION_PARAM, IMPORTANCE_TABLE
from .retries import retried
from .run_configs import run_config

if TYPE_CHECKING:
    from mlflow.entities import Run

    from ..reporting import ModelFacts, TrainingFacts
    from .model_store import StoredModel
    from .registry import ModelVersion


def model_facts(version: ModelVersion, stored: StoredModel) -> ModelFacts:
    """The version's identity: name, number, URI, flavor, signer and signature."""
    from ..reporting import ModelFacts

    inputs = [f"{column.name}: {column.type}" for column in stored.inputs or ()]
    return ModelFacts(
        name=version.name,
        version=str(version.version),
        uri=stored.uri,
        flavor=stored.flavor,
        signer=stored.signer,
        inputs=inputs,
    )


def training_facts(run: Run, labels: list[str] | None) -> TrainingFacts:
    """What a training run recorded about its data, rows, code and environment."""
    from ..reporting import TrainingFacts

    params, tags = run.data.params, run.data.tags
    config = run_config(run.info.run_id)
    dataset = next((item.dataset.name for item in run.inputs.dataset_inputs), "-")
    return TrainingFacts(
        run_id=run.info.run_id,
        dataset=dataset,
        dataset_version=params.get(DATASET_VERSION_PARAM, "-"),
        train_rows=int(params.get("split.train_rows", 0)),
        held_out_rows=int(params.get("split.test_rows", 0)),
        held_out_digest=params.get("split.test_digest", "-"),
        labels=labels or [],
        config=dump_yaml(config.to_dict()),
        seed=config.seed,
        commit=tags.get(provenance.COMMIT_TAG),
        dirty=tags.get(provenance.DIRTY_TAG, "unknown"),
        environment_digest=tags.get(provenance.ENVIRONMENT_DIGEST_TAG, "not recorded"),
        importance=_importance(run.info.run_id),
    )


def _importance(run_id: str) -> list[FeatureImportance]:
    """The permutation importance a training run logged (empty if it logged none)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    uri = f"runs:/{run_id}/{IMPORTANCE_TABLE}"
    try:  # a table artifact: {"columns": [...], "data": [[...], ...]}
        table = retried(lambda: mlflow.artifacts.load_dict(uri))
    except (MlflowException, OSError):
        return []
    columns = table.get("columns", [])
    rows = [dict(zip(columns, row, strict=True)) for row in table.get("data", [])]
    means = next((c for c in columns if c.endswith("_drop_mean")), None)
    stds = next((c for c in columns if c.endswith("_drop_std")), None)
    if means is None or stds is None:
        return []
    return [
        FeatureImportance(str(row["feature"]), float(row[means]), float(row[stds])) for row in rows
    ]
