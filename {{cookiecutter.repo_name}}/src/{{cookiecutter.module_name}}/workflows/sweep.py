"""Sweep: search the config's model parameters with Optuna, every trial a tracked training.

Each trial is one :func:`.train.train` run, nested under the study's parent run and not
registered. Several workers (shells, machines, array jobs) running the same command join
the study by name and split its trials (:mod:`..tracking.studies`). A trial that fails or is
interrupted does not count: the same command resumes the study and runs the trials still
missing. Where the study lives: ``OPTUNA_STORAGE`` (see docs/sweeps.md).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import blocks, interrupts, naming
from ..config import SWEEP_EXAMPLE, ConfigError, with_values
from ..evaluation import deciding_metric
from ..tracking import recording, registry, runs, store, sweep_runs
from ..tracking.studies import Study
from . import steps
from .train import train

if TYPE_CHECKING:
    from ..config import ExperimentConfig, SweepSpec
    from ..evaluation import Objective
    from ..tracking.studies import BestTrial, StudyState

logger = logging.getLogger(__name__)

# The loggers of a training's own steps: quiet during a sweep, which prints one line a trial.
_QUIET_LOGGERS = ("workflows.train", "workflows.steps", "models")


@dataclass(frozen=True)
class SweepSummary:
    """Where a study stands when this worker stops.

    Attributes:
        study: The study's name.
        storage: Where it is stored (no password).
        metric: The objective.
        direction: ``maximize`` or ``minimize``.
        finished: Trials finished (complete or pruned) in the whole study.
        budget: Trials the study should finish.
        best: The best trial so far (None if none finished).
        parent: The parent run.
        registered_uri: The version registered as ``candidate`` (``--register-best``).
    """

    study: str
    storage: str
    metric: str
    direction: str
    finished: int
    budget: int
    best: BestTrial | None
    parent: steps.RunSummary
    registered_uri: str | None = None


def sweep(
    config: ExperimentConfig,
    *,
    trials: int | None = None,
    study_name: str | None = None,
    register_best: bool = False,
) -> SweepSummary:
    """Run trials of the config's search space until the study has ``trials`` of them.

    Args:
        config: The experiment and its ``sweep`` section.
        trials: Trials the study should finish, over all workers (default: sweep.trials).
        study_name: The study to create or join (default: sweep.study, else the experiment).
        register_best: After the study, register the best trial's model as ``candidate``.
    """
    spec = search_space(config)
    budget = trials if trials is not None else spec.trials
    if budget < 1:
        raise ConfigError(f"--trials must be at least 1, got {budget}")
    objective = deciding_metric(config, blocks.build_evaluator(config.evaluator), sweep=True)
    seed = spec.seed if spec.seed is not None else config.seed
    study, created = Study.open(
        study_name or spec.study or config.experiment, objective.direction, spec.pruner
    )
    uri, experiment_id = steps.open_experiment(config)
    parent_id = sweep_runs.parent_run(
        study, created, experiment_id, _settings(spec, objective, seed)
    )
    logger.info(
        "Study %r (%s) in %s: %d of %d trials finished; %s %s",
        study.name, objective.direction, study.where, study.state().finished, budget,
        objective.direction, objective.metric,
    )  # fmt: skip
    logger.info("Parent run: %s", store.run_url(uri, experiment_id, parent_id))

    state = _run_trials(study, config, spec, objective.metric, seed, parent_id, budget)

    registered_uri = None
    if register_best and state.best is not None and state.done(budget):
        # By the worker that saw the study end.
        registered_uri = _register_best(config, state.best.model_uri)
    parent = steps.RunSummary(
        run_id=parent_id,
        experiment_id=experiment_id,
        tracking_uri=uri,
        metrics={objective.metric: state.best.value} if state.best is not None else {},
    )
    return SweepSummary(
        study=study.name,
        storage=study.where,
        metric=objective.metric,
        direction=objective.direction,
        finished=state.finished,
        budget=budget,
        best=state.best,
        parent=parent,
        registered_uri=registered_uri,
    )


def _run_trials(
    study: Study,
    config: ExperimentConfig,
    spec: SweepSpec,
    metric: str,
    seed: int,
    parent_id: str,
    budget: int,
) -> StudyState:
    """Run trials until the study has its budget; record the study on the parent run.

    What the finished trials found is recorded even when this worker is stopped (KILLED by
    a signal, FAILED by an error), and the error is raised: it is the news.
    """
    try:
        with _quiet_trainings():
            while (trial := study.next_trial(budget)) is not None:
                with study.failed_unless_told(trial):
                    values = study.suggest(trial, spec.params, spec.sampler, seed)
                    _run_trial(study, trial, config, values, metric, parent_id)
    except BaseException as error:
        interrupted = isinstance(error, interrupts.Interrupted | KeyboardInterrupt)
        try:
            _record(
                study, parent_id, budget, metric, stopped="KILLED" if interrupted else "FAILED"
            )
        except Exception as failure:
            logger.warning("Could not update the parent run: %s", failure)
        raise
    return _record(study, parent_id, budget, metric)


def search_space(config: ExperimentConfig) -> SweepSpec:
    """Return the config's ``sweep`` section, or refuse with an example of one."""
    if config.sweep is None:
        where = f" to {config.source}" if config.source else ""
        raise ConfigError(
            f"The config has no search space: add a 'sweep' section{where}, for example\n"
            f"{SWEEP_EXAMPLE}\n(see docs/sweeps.md)"
        )
    return config.sweep


def _settings(spec: SweepSpec, objective: Objective, seed: int) -> dict[str, Any]:
    """The study's objective and search space, logged on its parent run."""
    return {
        "metric": objective.metric,
        "direction": objective.direction,
        "sampler": spec.sampler,
        "pruner": spec.pruner,
        "seed": seed,
        **{f"space.{name}": space.to_dict() for name, space in spec.params.items()},
    }


def _run_trial(
    study: Study,
    trial: Any,  # noqa: ANN401 - an Optuna trial, which only the study reads
    config: ExperimentConfig,
    values: dict[str, Any],
    metric: str,
    parent_id: str,
) -> None:
    """Train with the trial's values and tell the study the metric (or the trial failed)."""
    tags = {sweep_runs.SWEEP_STUDY_TAG: study.name, sweep_runs.SWEEP_TRIAL_TAG: str(trial.number)}
    trial_config = with_values(config, values)
    changes = [f"{name}={value}" for name, value in values.items()]
    name = f"trial {trial.number}: {naming.run_name(trial_config, changes)}"
    try:
        summary = train(
            trial_config, run_name=name, register=False, parent_run_id=parent_id, tags=tags
        )
    except BaseException:
        logger.info("trial %3d  failed  %s", trial.number, _shown(values))
        raise
    if metric not in summary.metrics:
        raise ConfigError(
            f"sweep.metric {metric!r} is not one of the evaluator's metrics: "
            f"{', '.join(summary.metrics)}"
        )
    value = summary.metrics[metric]
    run = runs.find_run(summary.run_id)
    digest = runs.input_digest(run, recording.EVALUATION) if run is not None else None
    pruned = study.tell(trial, value, summary.run_id, summary.model_uri, digest or "")
    best = study.state().best
    logger.info(
        "trial %3d  %s %.4f%s  %s  | best %.4f (trial %d)",
        trial.number, metric, value, " (pruned)" if pruned else "", _shown(values),
        best.value if best else float("nan"), best.number if best else -1,
    )  # fmt: skip


def _shown(values: dict[str, Any]) -> str:
    return " ".join(
        f"{name.rpartition('.')[2]}={value:.4g}"
        if isinstance(value, float)
        else f"{name.rpartition('.')[2]}={value}"
        for name, value in values.items()
    )


def _record(
    study: Study, parent_id: str, budget: int, metric: str, *, stopped: str | None = None
) -> StudyState:
    """Write the study's state on the parent run, and return it.

    The parent run ends FINISHED when the study has all its trials and none is running
    (whichever worker sees that first); when this worker was ``stopped`` (KILLED: by a
    signal, FAILED: by an error) and no other worker is running trials, it ends so; otherwise
    it stays RUNNING for the workers still at work.
    """
    state = study.state()
    if len(state.digests) > 1:
        logger.warning("The trials were scored on different held-out rows: %s", state.digests)
    elif state.digests:
        logger.info("All %d trials were scored on the same held-out rows.", state.finished)
    status = "FINISHED" if state.done(budget) else (stopped if state.running == 0 else None)
    sweep_runs.record_sweep(parent_id, study.name, state, budget, metric, study.figures(), status)
    return state


def _register_best(config: ExperimentConfig, model_uri: str | None) -> str:
    """Register the best trial's model and point ``candidate`` at it, as train would."""
    name = steps.registered_name(config)
    if model_uri is None:
        raise steps.RefusedError("The best trial recorded no model to register")
    version = registry.register(model_uri, name)
    registry.set_alias(name, registry.CANDIDATE_ALIAS, version)
    logger.info("Registered the best model as %r, alias %r", name, registry.CANDIDATE_ALIAS)
    return registry.version_uri(version)


@contextmanager
def _quiet_trainings() -> Iterator[None]:
    """Hide each training's step lines and MLflow's notices while the sweep prints its own."""
    package = __package__.rpartition(".")[0]
    names = [f"{package}.{name}" for name in _QUIET_LOGGERS] + ["mlflow"]
    loggers = [logging.getLogger(name) for name in names]
    levels = [each.level for each in loggers]
    for each in loggers:
        each.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for each, level in zip(loggers, levels, strict=True):
            each.setLevel(level)
