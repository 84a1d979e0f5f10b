"""Evaluate: score a logged or registered model on the config's held-out rows, as a new run."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .. import blocks, naming
from ..tracking import model_store, recording, registry, runs
from . import steps

if TYPE_CHECKING:
    from ..config import ExperimentConfig

logger = logging.getLogger(__name__)


def evaluate(
    config: ExperimentConfig,
    model_uri: str | None = None,
    *,
    run_name: str | None = None,
    description: str | None = None,
) -> steps.RunSummary:
    """Evaluate a model on the config's held-out rows and track it as an ``evaluate`` run.

    Args:
        config: The experiment config: its dataset, split and evaluator are used.
        model_uri: The model to evaluate, e.g. ``runs:/<run id>/model`` or
            ``models:/<name>/3``; defaults to ``models:/<registered_model>@candidate``.
        run_name: The run's name (default: ``evaluate <model> seed=<split seed>``).
        description: The run's note.
    """
    if model_uri is None:
        model_uri = registry.alias_uri(steps.registered_name(config), registry.CANDIDATE_ALIAS)
    run_name = run_name or naming.evaluation_name(config, model_uri)
    dataset = blocks.build_dataset(config.dataset)
    evaluator = blocks.build_evaluator(config.evaluator)

    progress = steps.Progress(4, logger)
    uri, experiment_id = steps.open_experiment(config)
    progress.step("Loading model %s from %s", model_uri, uri)
    stored = model_store.load(model_uri, trust_unsigned=config.trust_pickle)

    progress.step("Loading dataset %r and its held-out rows", dataset.name)
    split = steps.held_out(config, dataset)

    with runs.tracked_run(
        experiment_id,
        "evaluate",
        tags={"evaluated_model_uri": model_uri},
        run_name=run_name,
        description=description,
    ) as run:
        recording.log_config(config, dataset, split)
        recording.log_provenance()
        recording.log_model_trust(stored.uri, stored.signer)
        held_out_rows = recording.rows_input(dataset, split.test_features, split.test_target)
        recording.log_inputs(evaluation=held_out_rows)
        progress.step("Evaluating on %d held-out rows", len(split.test_target))
        predictions = steps.score(stored.model, split.test_features)
        evaluation = steps.evaluate(evaluator, split.test_target, predictions)
        progress.step("Logging metrics, figures and predictions")
        recording.log_evaluation(evaluation, split.test_target, predictions, rows=held_out_rows)
    return steps.RunSummary(
        run_id=run.info.run_id,
        experiment_id=experiment_id,
        tracking_uri=uri,
        metrics=evaluation.metrics,
        model_uri=model_uri,
    )
