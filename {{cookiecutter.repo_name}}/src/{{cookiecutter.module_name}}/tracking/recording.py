"""What each kind of run writes to MLflow: parameters, tags, inputs, metrics, figures, records.

The workflows tell the story of a run (load, fit, score, decide); this module is the one
place that knows how each fact is recorded, under which names: a training's config, data
and provenance, an evaluation's metrics and figures, a promotion's or a prediction's
decision, a reproduction's verdict. Every write is idempotent and retried when it loses a
race with another writer or finds the store busy or silent (see :mod:`.retries`). A run's
life (start, end, reading it back) is :mod:`.runs`'.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import provenance
from ..paths import PROJECT_ROOT
from . import run_configs, run_lineage
from .environment import quiet_dataset_warnings
from .retries import retried
from .runs import DECISION_TAG

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure
    from mlflow.data.dataset import Dataset as MlflowDataset

    from ..config import ExperimentConfig
    from ..datasets import Dataset, Split
    from ..evaluation import Evaluation, Predictions
    from ..evaluation.importance import FeatureImportance
    from ..models import Model

DATASET_VERSION_PARAM = "dataset.version"
IMPORTANCE_TABLE = "importance.json"
TRAINING, EVALUATION = "training", "evaluation"


def log_config(config: ExperimentConfig, dataset: Dataset, split: Split) -> None:
    """Log the config as flat parameters (plus the data's identity) and as a YAML artifact.

    Three digests identify the data, each of different rows (docs/tracking.md):
    ``dataset.version`` of the whole dataset, ``split.train_digest`` of the training rows
    and ``split.test_digest`` of the held-out rows; the last two are also the digests of the
    run's ``training`` and ``evaluation`` inputs.
    """
    import mlflow

    from ..datasets import content_digest

    params = {
        **config.to_params(),
        DATASET_VERSION_PARAM: dataset.version,
        "split.train_rows": len(split.train_target),
        "split.test_rows": len(split.test_target),
        "split.train_digest": content_digest(split.train_features, split.train_target),
        "split.test_digest": content_digest(split.test_features, split.test_target),
    }
    retried(lambda: mlflow.log_params(params))
    run_configs.log_signed_config(config)
    if config.source is not None:
        retried(lambda: mlflow.set_tag("config_file", _relative(config.source)))


def record_training_setup(
    config: ExperimentConfig, dataset: Dataset, split: Split, model: Model
) -> MlflowDataset:
    """Record what a training starts from: its config, data and rows, model settings, code.

    Returns the held-out rows as an MLflow dataset, to link the metrics to them.
    """
    log_config(config, dataset, split)
    run_lineage.log_lineage(split)
    log_hyperparameters(model)
    log_provenance()
    held_out = rows_input(dataset, split.test_features, split.test_target)
    log_inputs(
        training=rows_input(dataset, split.train_features, split.train_target),
        evaluation=held_out,
    )
    return held_out


def log_model_trust(uri: str, signer: str | None, role: str = "model") -> None:
    """Record which model a run used and why it was trusted: its signer, or the user's opt-in.

    ``role`` names the model among several (``challenger``, ``champion``).
    """
    import mlflow

    tags = {f"{role}.uri": uri}
    tags |= {f"{role}.signed_by": signer} if signer else {f"{role}.trusted_unsigned": "true"}
    retried(lambda: mlflow.set_tags(tags))


def log_outcome(decision: str) -> None:
    """Tag what a decision run did (``decision``), once it is done: the tag is the record."""
    import mlflow

    retried(lambda: mlflow.set_tag(DECISION_TAG, decision))


def log_hyperparameters(model: Model) -> None:
    """Log every setting of the model, defaults included, as ``hyperparameters.<name>``."""
    import mlflow

    params = {
        f"hyperparameters.{key}": str(value) for key, value in model.hyperparameters().items()
    }
    if params:
        retried(lambda: mlflow.log_params(params))


def log_provenance() -> None:
    """Tag the code version and runtime, and log the uncommitted diff and environment files."""
    import mlflow

    state = provenance.git_state(PROJECT_ROOT)
    files = provenance.environment_files(PROJECT_ROOT)
    tags = {**provenance.source_tags(state), **provenance.runtime_tags()}
    tags[provenance.ENVIRONMENT_DIGEST_TAG] = provenance.environment_digest(files)
    retried(lambda: mlflow.set_tags(tags))
    if state.diff:
        retried(lambda: mlflow.log_text(state.diff, "code/uncommitted.diff"))
    for path in files:
        retried(lambda p=path: mlflow.log_artifact(str(p), artifact_path="environment"))
    packages = provenance.installed_packages()
    retried(lambda: mlflow.log_text(packages, "environment/installed-packages.txt"))


def rows_input(dataset: Dataset, features: pd.DataFrame, target: pd.Series) -> MlflowDataset:
    """Describe rows of a dataset as an MLflow dataset: its name, source and content digest."""
    import mlflow
    import pandas as pd

    from ..datasets import content_digest

    with quiet_dataset_warnings():
        return mlflow.data.from_pandas(
            pd.concat([features, target], axis=1),
            source=dataset.source or None,
            name=dataset.name,
            targets=str(target.name),
            digest=content_digest(features, target),
        )


def file_input(path: Path, digest: str, rows: int) -> MlflowDataset:
    """Describe an input file by its name, location and byte digest, without reading it."""
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.data.sources import LocalArtifactDatasetSource

    return MetaDataset(
        LocalArtifactDatasetSource(str(path.resolve())),
        name=f"{path.name} ({rows} rows)",
        digest=digest,
    )


def log_inputs(**inputs: MlflowDataset) -> None:
    """Log datasets as the run's inputs, each under its context (``training=...``)."""
    import mlflow

    with quiet_dataset_warnings():
        for context, dataset in inputs.items():
            # Concurrent runs logging the same dataset race to insert it: retried.
            retried(lambda d=dataset, c=context: mlflow.log_input(d, context=c))


def log_evaluation(
    evaluation: Evaluation,
    target: pd.Series,
    predictions: Predictions,
    *,
    model_id: str | None = None,
    rows: MlflowDataset | None = None,
    prefix: str = "",
) -> None:
    """Log metrics in one batch (linked to the model and rows), figures and per-row results.

    Args:
        evaluation: The metrics and figures.
        target: The true values, indexed like the dataset's rows.
        predictions: The model's predictions and scores for those rows.
        model_id: The logged model the metrics belong to, if any.
        rows: The evaluated rows as an MLflow dataset, if logged.
        prefix: Put before every name, e.g. ``challenger.``, to log several models in a run.
    """
    import mlflow

    metrics = {f"{prefix}{name}": value for name, value in evaluation.metrics.items()}
    retried(lambda: mlflow.log_metrics(metrics, model_id=model_id, dataset=rows))
    folder = f"figures/{prefix.rstrip('.')}/" if prefix else "figures/"
    for name, figure in evaluation.figures.items():
        retried(lambda f=figure, n=name: mlflow.log_figure(f, f"{folder}{n}.png"))
    table = predictions.to_frame(target).to_csv(index_label="row")
    retried(lambda: mlflow.log_text(table, f"evaluation/{prefix}predictions.csv"))


def log_importance(importances: Sequence[FeatureImportance], metric: str) -> None:
    """Log permutation importance as a table (``importance.json``) and a figure."""
    from ..evaluation.figures import ranked_bars

    table = {
        "feature": [each.feature for each in importances],
        f"{metric}_drop_mean": [each.mean for each in importances],
        f"{metric}_drop_std": [each.std for each in importances],
    }
    log_table(table, IMPORTANCE_TABLE)
    top = [(each.feature, each.mean) for each in importances[:20]]
    figure = ranked_bars({f"Permutation importance: {metric} drop when shuffled (top 20)": top})
    log_figure(figure, "permutation_importance")


def log_table(table: Mapping[str, Sequence[object]], name: str) -> None:
    """Log columns as an MLflow table artifact (shown as a table in the UI)."""
    import mlflow

    with warnings.catch_warnings():  # MLflow's own use of pandas, deprecated by pandas 3
        warnings.filterwarnings("ignore", "For backward compatibility, 'str' dtypes")
        retried(lambda: mlflow.log_table(dict(table), name))


def log_decision(params: Mapping[str, Any], tags: Mapping[str, str]) -> None:
    """Log what a decision was based on (parameters) and what was decided (tags)."""
    import mlflow

    retried(lambda: mlflow.log_params({key: str(value) for key, value in params.items()}))
    retried(lambda: mlflow.set_tags(dict(tags)))


def log_values(metrics: Mapping[str, float]) -> None:
    """Log plain metrics of the active run in one batch."""
    import mlflow

    retried(lambda: mlflow.log_metrics(dict(metrics)))


def log_report(report: Mapping[str, Any], name: str) -> None:
    """Log a JSON report of the active run."""
    import mlflow

    retried(lambda: mlflow.log_dict(dict(report), f"{name}.json"))


def log_figure(figure: Figure, name: str) -> None:
    """Log a figure of the active run as a PNG under ``figures/``."""
    import mlflow

    retried(lambda: mlflow.log_figure(figure, f"figures/{name}.png"))


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)
