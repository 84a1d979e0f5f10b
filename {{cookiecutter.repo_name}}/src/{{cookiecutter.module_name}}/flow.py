"""The experiment flow: train, evaluate and track one run, or re-evaluate a logged model.

The flow only uses the building blocks through their base classes (:class:`Dataset`,
:class:`Model`, :class:`Evaluator`): swapping one is a config change, never a change here.
Every run records what is needed to compare and reproduce it: the flattened config as
parameters, the dataset name and digest as inputs, the git commit and whether the tree was
dirty, the environment files, Python version and platform, the metrics in one batch, the
figures, a per-row predictions table for error analysis and the model itself.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import blocks, provenance, tracking
from .config import ConfigError
from .datasets import content_digest, split_dataset
from .paths import PROJECT_ROOT

if TYPE_CHECKING:
    from pathlib import Path

    from mlflow.data.pandas_dataset import PandasDataset

    from .config import ExperimentConfig
    from .datasets import Dataset, Split
    from .evaluation import Evaluation, Evaluator
    from .models import Model

logger = logging.getLogger(__name__)

MODEL_NAME = "model"
CONFIG_ARTIFACT = "config.yaml"


@dataclass(frozen=True)
class RunSummary:
    """What a finished run produced and where to find it.

    Attributes:
        run_id: The MLflow run id.
        experiment_id: The MLflow experiment id.
        tracking_uri: The store the run is in.
        metrics: The metrics logged for the held-out rows.
        model_uri: The model that was logged (train) or evaluated (evaluate).
        registered_uri: The registry version the run created, e.g. ``models:/name/3``.
    """

    run_id: str
    experiment_id: str
    tracking_uri: str
    metrics: dict[str, float]
    model_uri: str
    registered_uri: str | None = None

    @property
    def url(self) -> str:
        """The run's page in the MLflow UI."""
        return tracking.run_url(self.tracking_uri, self.experiment_id, self.run_id)


def train(config: ExperimentConfig) -> RunSummary:
    """Train the config's model, evaluate it on held-out rows and track everything in MLflow.

    The model is registered under ``config.registered_model`` (if set) and that version
    gets the alias ``candidate``. Nothing is registered if training or evaluation fails.
    """
    dataset = blocks.build_dataset(config.dataset)
    model = blocks.build_model(config.model)
    evaluator = blocks.build_evaluator(config.evaluator)

    logger.info("[1/6] Loading dataset %r and holding out rows for evaluation", dataset.name)
    split = _split(dataset, config)

    uri = tracking.configure()
    experiment_id = tracking.set_experiment(config.experiment)
    logger.info("[2/6] Tracking experiment %r in %s", config.experiment, uri)

    import mlflow
    from mlflow.models import infer_signature

    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.set_tag("run_type", "train")
        evaluation_data = _log_context(config, dataset, split, training=True)

        logger.info("[3/6] Training %r on %d rows", model, len(split.train_target))
        model.fit(split.train_features, split.train_target)

        logger.info("[4/6] Evaluating on %d held-out rows", len(split.test_target))
        predictions, scores = _predict(model, split.test_features)
        evaluation = _evaluate(evaluator, split.test_target, predictions, scores)

        registered = f" and registering it as {config.registered_model!r}"
        logger.info("[5/6] Logging the model%s", registered if config.registered_model else "")
        model_info = model.log(
            MODEL_NAME,
            signature=infer_signature(split.test_features, predictions),
            input_example=split.test_features.head(5),
            registered_model_name=config.registered_model,
        )
        registered_uri = _set_candidate_alias(
            config.registered_model, model_info.registered_model_version
        )

        logger.info("[6/6] Logging metrics, figures and predictions")
        _log_evaluation(
            evaluation, split, predictions, scores, model_info.model_id, evaluation_data
        )
    return RunSummary(
        run_id=run.info.run_id,
        experiment_id=experiment_id,
        tracking_uri=uri,
        metrics=evaluation.metrics,
        model_uri=model_info.model_uri,
        registered_uri=registered_uri,
    )


def evaluate(config: ExperimentConfig, model_uri: str | None = None) -> RunSummary:
    """Evaluate a logged or registered model on the config's held-out rows, as a new run.

    Args:
        config: The experiment config: its dataset, split and evaluator are used, and its
            model type says how to load the model.
        model_uri: The model to evaluate, e.g. ``runs:/<run id>/model`` or
            ``models:/<name>/3``; defaults to ``models:/<registered_model>@candidate``.
    """
    if model_uri is None:
        if not config.registered_model:
            raise ConfigError("The config has no registered_model: pass --model-uri")
        model_uri = f"models:/{config.registered_model}@{tracking.CANDIDATE_ALIAS}"
    dataset = blocks.build_dataset(config.dataset)
    evaluator = blocks.build_evaluator(config.evaluator)

    uri = tracking.configure()
    experiment_id = tracking.set_experiment(config.experiment)
    logger.info("[1/4] Loading model %s from %s", model_uri, uri)
    import mlflow

    model = blocks.resolve("model", config.model.type).load(model_uri)
    model_id = mlflow.models.get_model_info(model_uri).model_id

    logger.info("[2/4] Loading dataset %r and its held-out rows", dataset.name)
    split = _split(dataset, config)

    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.set_tags({"run_type": "evaluate", "evaluated_model_uri": model_uri})
        evaluation_data = _log_context(config, dataset, split, training=False)
        logger.info("[3/4] Evaluating on %d held-out rows", len(split.test_target))
        predictions, scores = _predict(model, split.test_features)
        evaluation = _evaluate(evaluator, split.test_target, predictions, scores)
        logger.info("[4/4] Logging metrics, figures and predictions")
        _log_evaluation(evaluation, split, predictions, scores, model_id, evaluation_data)
    return RunSummary(
        run_id=run.info.run_id,
        experiment_id=experiment_id,
        tracking_uri=uri,
        metrics=evaluation.metrics,
        model_uri=model_uri,
    )


def _set_candidate_alias(name: str | None, version: int | str | None) -> str | None:
    """Point the ``candidate`` alias at the version a run registered; return its URI."""
    if not name or version is None:
        return None
    import mlflow

    mlflow.MlflowClient().set_registered_model_alias(name, tracking.CANDIDATE_ALIAS, str(version))
    return f"models:/{name}/{version}"


def _split(dataset: Dataset, config: ExperimentConfig) -> Split:
    split = split_dataset(
        dataset, config.split.test_size, config.split.seed, stratify=config.split.stratify
    )
    logger.info(
        "      %d rows x %d features, version %s; %d held out (seed %d)",
        len(dataset),
        dataset.features.shape[1],
        dataset.version,
        len(split.test_target),
        config.split.seed,
    )
    return split


def _predict(model: Model, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
    return np.asarray(model.predict(features)), model.predict_proba(features)


def _evaluate(
    evaluator: Evaluator, target: pd.Series, predictions: np.ndarray, scores: np.ndarray | None
) -> Evaluation:
    evaluation = evaluator.evaluate(target, predictions, scores)
    for name, value in evaluation.metrics.items():
        logger.info("      %-10s %.4f", name, value)
    return evaluation


def _log_context(
    config: ExperimentConfig, dataset: Dataset, split: Split, *, training: bool
) -> PandasDataset:
    """Log what the run depends on; return the evaluation data as an MLflow dataset."""
    import mlflow

    mlflow.log_params(
        {
            **config.to_params(),
            "dataset.version": dataset.version,
            "split.train_rows": len(split.train_target),
            "split.test_rows": len(split.test_target),
        }
    )
    mlflow.log_dict(config.to_dict(), CONFIG_ARTIFACT)  # parse_config() reads it back
    if config.source is not None:
        mlflow.set_tag("config_file", _relative(config.source))

    state = provenance.git_state(PROJECT_ROOT)
    mlflow.set_tags({**provenance.source_tags(state), **provenance.runtime_tags()})
    if state.diff:
        mlflow.log_text(state.diff, "code/uncommitted.diff")
    for path in provenance.environment_files(PROJECT_ROOT):
        mlflow.log_artifact(str(path), artifact_path="environment")
    mlflow.log_text(provenance.installed_packages(), "environment/installed-packages.txt")

    if training:
        _log_dataset(dataset, split.train_features, split.train_target, "training")
    return _log_dataset(dataset, split.test_features, split.test_target, "evaluation")


def _log_dataset(
    dataset: Dataset, features: pd.DataFrame, target: pd.Series, context: str
) -> PandasDataset:
    """Log rows of a dataset as a run input, named after the dataset and with its digest."""
    import mlflow

    with warnings.catch_warnings():
        # MLflow registers its local-file source twice and warns that a path is ambiguous, and
        # hints that integer columns cannot hold missing values: neither matters for a record.
        warnings.filterwarnings("ignore", "The specified dataset source", UserWarning)
        warnings.filterwarnings("ignore", "Hint: Inferred schema contains integer", UserWarning)
        data = mlflow.data.from_pandas(
            pd.concat([features, target], axis=1),
            source=dataset.source or None,
            name=dataset.name,
            targets=str(target.name),
            digest=content_digest(features, target),
        )
        mlflow.log_input(data, context=context)
    return data


def _log_evaluation(
    evaluation: Evaluation,
    split: Split,
    predictions: np.ndarray,
    scores: np.ndarray | None,
    model_id: str | None,
    evaluation_data: PandasDataset,
) -> None:
    """Log the metrics in one batch, linked to the model, plus figures and predictions."""
    import mlflow

    mlflow.log_metrics(evaluation.metrics, model_id=model_id, dataset=evaluation_data)
    for name, figure in evaluation.figures.items():
        mlflow.log_figure(figure, f"figures/{name}.png")
    table = pd.DataFrame(
        {"y_true": split.test_target, "y_pred": predictions}, index=split.test_target.index
    )
    if scores is not None:
        columns = [f"score_{i}" for i in range(scores.shape[1])] if scores.ndim == 2 else ["score"]
        table[columns] = scores.reshape(len(table), -1)
    mlflow.log_text(table.to_csv(index_label="row"), "evaluation/predictions.csv")


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)
