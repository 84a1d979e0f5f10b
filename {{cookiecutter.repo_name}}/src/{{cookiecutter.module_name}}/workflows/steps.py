"""Steps the workflows share: open the experiment, hold out rows, score with a model.

And :class:`Progress`, which numbers a workflow's steps as it prints them (``[2/5] ...``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..datasets import split_dataset
from ..evaluation import Predictions
from ..evaluation.importance import permutation_importance
from ..tracking import recording, registry, runs, store
from . import RefusedError

if TYPE_CHECKING:
    import pandas as pd

    from ..config import ExperimentConfig
    from ..datasets import Dataset, Split
    from ..evaluation import Evaluation, Evaluator, Objective
    from ..models import Model

logger = logging.getLogger(__name__)

__all__ = [
    "Progress",
    "RefusedError",
    "RunSummary",
    "evaluate",
    "held_out",
    "measure_importance",
    "open_experiment",
    "registered_name",
    "score",
]


class Progress:
    """Print a workflow's steps, numbered: ``[1/4] Loading...``, ``[2/4] Scoring...``.

    Args:
        total: How many steps the workflow has.
        log: The workflow's logger.
    """

    def __init__(self, total: int, log: logging.Logger) -> None:
        """Start before the first step."""
        self.total = total
        self.done = 0
        self.log = log

    def step(self, message: str, *arguments: object) -> None:
        """Announce the next step (``message`` is a logging format, with its arguments)."""
        self.done += 1
        self.log.info(f"[{self.done}/{self.total}] {message}", *arguments)


@dataclass(frozen=True)
class RunSummary:
    """What a finished run produced and where to find it.

    Attributes:
        run_id: The MLflow run id.
        experiment_id: The MLflow experiment id.
        tracking_uri: The store the run is in.
        metrics: The metrics the run logged.
        model_uri: The model the run logged or used, if any.
        registered_uri: The registry version the run created, e.g. ``models:/name/3``.
    """

    run_id: str
    experiment_id: str
    tracking_uri: str
    metrics: dict[str, float]
    model_uri: str | None = None
    registered_uri: str | None = None

    @property
    def url(self) -> str:
        """The run's page in the MLflow UI."""
        return store.run_url(self.tracking_uri, self.experiment_id, self.run_id)


def open_experiment(config: ExperimentConfig) -> tuple[str, str]:
    """Connect to the store and make the config's experiment active: (store URI, its id).

    Runs this machine's dead processes left RUNNING (SIGKILL, power cut) are closed first.
    """
    uri = store.configure()
    experiment_id = store.set_experiment(config.experiment)
    try:
        closed = runs.close_abandoned_runs(experiment_id)
    except Exception as error:  # housekeeping: a busy server must not stop this command
        logger.warning("      could not look for abandoned runs (%s); carrying on", error)
        closed = []
    for run_id in closed:
        logger.info("      closed run %s: left RUNNING by a process that is gone", run_id)
    withdraw_unfinished(config.registered_model, experiment_id)
    return uri, experiment_id


def withdraw_unfinished(name: str | None, experiment_id: str) -> list[str]:
    """Delete the registered versions of runs that did not finish, saying so (housekeeping)."""
    try:
        withdrawn = registry.withdraw_unfinished(name, experiment_id)
    except Exception as error:  # housekeeping: a busy server must not stop this command
        logger.warning("      could not look for unfinished versions (%s); carrying on", error)
        return []
    for number in withdrawn:
        logger.info("      withdrew version %s of %r: its training did not finish", number, name)
    return withdrawn


def registered_name(config: ExperimentConfig) -> str:
    """Return the config's registered model name, or refuse if it has none."""
    if not config.registered_model:
        raise RefusedError(
            "The config has no registered_model: set one (e.g. registered_model: my-model) "
            "or pass --model-uri"
        )
    return config.registered_model


def held_out(config: ExperimentConfig, dataset: Dataset) -> Split:
    """Split the dataset as the config says; the same seed always holds out the same rows."""
    spec = config.split
    try:
        split = split_dataset(
            dataset,
            spec.test_size,
            spec.seed,
            method=spec.method,
            stratify=spec.stratify,
            key=spec.key,
        )
    except ValueError as error:
        if isinstance(error, RefusedError):
            raise
        raise RefusedError(str(error)) from None
    logger.info(
        "      %d rows x %d features, version %s; %d held out (%s split, seed %d)",
        len(dataset),
        dataset.features.shape[1],
        dataset.version,
        len(split.test_target),
        spec.method,
        spec.seed,
    )
    return split


def score(model: Model, features: pd.DataFrame) -> Predictions:
    """Return the model's predictions, and its class probabilities if it has them."""
    return Predictions(np.asarray(model.predict(features)), model.predict_proba(features))


def evaluate(evaluator: Evaluator, target: pd.Series, predictions: Predictions) -> Evaluation:
    """Score predictions against the true values, printing each metric."""
    evaluation = evaluator.evaluate(target, predictions.labels, predictions.scores)
    for name, value in evaluation.metrics.items():
        logger.info("      %-10s %.4f", name, value)
    return evaluation


def measure_importance(
    model: Model,
    split: Split,
    evaluator: Evaluator,
    objective: Objective,
    config: ExperimentConfig,
) -> None:
    """Measure and log the permutation importance of the model's features (held-out rows)."""
    spec = config.importance
    importances = permutation_importance(
        model,
        split.test_features,
        split.test_target,
        evaluator,
        objective,
        rows=spec.rows,
        repeats=spec.repeats,
        seed=config.seed,
    )
    top = ", ".join(f"{each.feature} {each.mean:+.4f}" for each in importances[:3])
    logger.info("      relies most on (%s drop when shuffled): %s", objective.metric, top)
    recording.log_importance(importances, objective.metric)
