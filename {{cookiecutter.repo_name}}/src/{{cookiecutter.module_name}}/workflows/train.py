"""Train: fit the config's model, evaluate it on held-out rows, register it as a candidate.

The blocks are only used through their base classes (:class:`Dataset`, :class:`Model`,
:class:`Evaluator`): swapping one is a config change, never a change here. The model is
signed by whoever trains it, and loaded back through the same loader every other command
uses before it is registered: a model that does not load, or predicts differently once
loaded, fails the run. The version is registered, and ``candidate`` moved to it, only after
the run has logged everything; a run that fails or is interrupted, even while registering,
leaves nothing in the registry.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .. import blocks, keys, naming
from ..evaluation import deciding_metric
from ..tracking import model_store, recording, registry, runs
from . import steps

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..config import ExperimentConfig
    from ..evaluation import Evaluation

logger = logging.getLogger(__name__)


def train(
    config: ExperimentConfig,
    *,
    run_name: str | None = None,
    description: str | None = None,
    register: bool = True,
    parent_run_id: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> steps.RunSummary:
    """Train, evaluate and track one run; register the model as ``candidate`` if configured.

    Args:
        config: The experiment config.
        run_name: The run's name (default: the model's name and the split seed, see
            :func:`naming.run_name`).
        description: The run's note, e.g. what this run tries.
        register: Register the model if the config names a registered model (a sweep's
            trials do not: only the best one may be; nor does a reproduction).
        parent_run_id: Nest the run under this one (a sweep's parent run).
        tags: More tags for the run: a sweep's trial number, a reproduction's original.
    """
    run_name = run_name or naming.run_name(config)
    signer = keys.own_signer()  # before any work: nobody could load an unsigned model
    dataset = blocks.build_dataset(config.dataset)
    model = blocks.build_model(config.model)
    evaluator = blocks.build_evaluator(config.evaluator)
    objective = deciding_metric(config, evaluator)
    registering = bool(config.registered_model and register)
    progress = steps.Progress(6 if registering else 5, logger)

    progress.step("Loading dataset %r and holding out rows for evaluation", dataset.name)
    split = steps.held_out(config, dataset)
    uri, experiment_id = steps.open_experiment(config)
    progress.step("Tracking experiment %r in %s", config.experiment, uri)

    registered_uri = None
    with runs.training_run(experiment_id, run_name, description, parent_run_id, tags) as run:
        held_out = recording.record_training_setup(config, dataset, split, model)

        progress.step("Training %r on %d rows", model, len(split.train_target))
        model.fit(split.train_features, split.train_target)

        progress.step("Evaluating on %d held-out rows", len(split.test_target))
        predictions = steps.score(model, split.test_features)
        evaluation = steps.evaluate(evaluator, split.test_target, predictions)
        if model.permutation_importance and config.importance.repeats:
            steps.measure_importance(model, split, evaluator, objective, config)

        progress.step("Logging the model (signed by %s), metrics, figures", signer.name)
        logged = model_store.log_model(model, split.test_features, predictions.labels)
        recording.log_evaluation(
            evaluation, split.test_target, predictions, model_id=logged.model_id, rows=held_out
        )

        if registering:  # last: only a fully logged model is registered
            progress.step("Registering the model as %r, 'candidate'", config.registered_model)
            rows = len(split.test_target)
            about = naming.version_description(
                run_name, run.info.run_id, objective.metric, evaluation.metrics, rows
            )
            registered_uri = _register_candidate(config, logged.model_uri, about, evaluation)
    return steps.RunSummary(
        run_id=run.info.run_id,
        experiment_id=experiment_id,
        tracking_uri=uri,
        metrics=evaluation.metrics,
        model_uri=logged.model_uri,
        registered_uri=registered_uri,
    )


def _register_candidate(
    config: ExperimentConfig, model_uri: str, description: str, evaluation: Evaluation
) -> str:
    """Register a logged model as a new version and point ``candidate`` at it."""
    name = str(config.registered_model)
    version = registry.register(
        model_uri, name, description=description, metrics=evaluation.metrics
    )
    registry.set_alias(name, registry.CANDIDATE_ALIAS, version)
    return registry.version_uri(version)
