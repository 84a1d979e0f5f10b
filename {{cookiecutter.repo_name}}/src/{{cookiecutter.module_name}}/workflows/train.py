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

from .. import blocks, naming, signatures
from ..tracking import model_store, recording, registry
from . import steps

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..config import ExperimentConfig

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
    signer = signatures.own_signer()  # before any work: nobody could load an unsigned model
    dataset = blocks.build_dataset(config.dataset)
    model = blocks.build_model(config.model)
    evaluator = blocks.build_evaluator(config.evaluator)

    logger.info("[1/6] Loading dataset %r and holding out rows for evaluation", dataset.name)
    split = steps.held_out(config, dataset)
    uri, experiment_id = steps.open_experiment(config)
    logger.info("[2/6] Tracking experiment %r in %s", config.experiment, uri)

    registered_uri = None
    with (
        recording.tracked_run(
            experiment_id,
            "train",
            tags,
            run_name=run_name,
            description=description,
            parent_run_id=parent_run_id,
        ) as run,
        registry.withdrawn_unless_finished(run.info.run_id),
    ):
        recording.log_config(config, dataset, split)
        recording.log_hyperparameters(model)
        recording.log_provenance()
        held_out_rows = recording.rows_input(dataset, split.test_features, split.test_target)
        recording.log_inputs(
            training=recording.rows_input(dataset, split.train_features, split.train_target),
            evaluation=held_out_rows,
        )

        logger.info("[3/6] Training %r on %d rows", model, len(split.train_target))
        model.fit(split.train_features, split.train_target)

        logger.info("[4/6] Evaluating on %d held-out rows", len(split.test_target))
        predictions = steps.score(model, split.test_features)
        evaluation = steps.evaluate(evaluator, split.test_target, predictions)

        logger.info("[5/6] Logging the model (signed by %s), metrics, figures", signer.name)
        model_info = model_store.log_model(model, split.test_features, predictions.labels)
        model_store.check_reloads(model_info.model_uri, model, split.test_features)
        recording.log_signer(signer.name)
        recording.log_evaluation(
            evaluation,
            split.test_target,
            predictions,
            model_id=model_info.model_id,
            rows=held_out_rows,
        )

        if config.registered_model and register:  # last: only a fully logged model is registered
            name, alias = config.registered_model, registry.CANDIDATE_ALIAS
            logger.info("[6/6] Registering the model as %r with the alias %r", name, alias)
            metric = config.promotion.metric or evaluator.key_metric or ""
            version = registry.register(
                model_info.model_uri,
                name,
                description=naming.version_description(
                    run_name, run.info.run_id, metric, evaluation.metrics, len(split.test_target)
                ),
                metrics=evaluation.metrics,
            )
            registry.set_alias(name, alias, version)
            registered_uri = registry.version_uri(version)
    return steps.RunSummary(
        run_id=run.info.run_id,
        experiment_id=experiment_id,
        tracking_uri=uri,
        metrics=evaluation.metrics,
        model_uri=model_info.model_uri,
        registered_uri=registered_uri,
    )
