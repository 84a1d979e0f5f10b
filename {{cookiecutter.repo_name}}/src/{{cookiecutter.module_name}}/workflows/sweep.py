"""Sweep: search the config's model parameters with Optuna, every trial a tracked training.

Each trial is one :func:`.train.train` run, nested under the study's parent run and not
registered. Several workers (shells, machines, array jobs) running the same command join
the study by name and split its trials: the study's storage hands out trial numbers, and a
worker stops when the study has as many trials finished or in progress as it should. A
trial that fails or is interrupted is marked FAIL in Optuna (its run ends FAILED or KILLED)
and does not count: the same command resumes the study and runs the trials still missing.

Where the study lives: ``OPTUNA_STORAGE`` (environment or ``.env``), an RDB URL such as the
team's PostgreSQL to share it, or a journal file; unset, ``optuna-journal.log`` at the
project root. See docs/sweeps.md.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import blocks, interrupts, naming
from ..config import SWEEP_EXAMPLE, ConfigError, with_values
from ..paths import PROJECT_ROOT
from ..tracking import recording, registry, store
from ..tracking.environment import prepare_environment
from . import RefusedError, steps
from .train import train

if TYPE_CHECKING:
    import optuna

    from ..config import ExperimentConfig, SearchRange, SweepSpec

logger = logging.getLogger(__name__)

STORAGE_ENV = "OPTUNA_STORAGE"
JOURNAL_FILE = "optuna-journal.log"
PARENT_RUN_ATTR = "mlflow_parent_run_id"
RUN_ATTR, MODEL_ATTR, DIGEST_ATTR = "mlflow_run_id", "mlflow_model_uri", "heldout_digest"
_PARENT_WAIT_SECONDS = 120
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
        best_trial: Number of the best trial (None if none finished).
        best_value: Its metric.
        best_params: Its parameters.
        best_run_id: Its MLflow run.
        parent: The parent run.
        registered_uri: The version registered as ``candidate`` (``--register-best``).
    """

    study: str
    storage: str
    metric: str
    direction: str
    finished: int
    budget: int
    best_trial: int | None
    best_value: float | None
    best_params: dict[str, Any]
    best_run_id: str | None
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
    evaluator = blocks.build_evaluator(config.evaluator)
    if spec.metric is not None:
        metric, higher_is_better = spec.metric, evaluator.higher_is_better(spec.metric)
    elif config.promotion.metric is None and evaluator.key_metric is None:
        raise ConfigError("Name the objective: sweep.metric (the evaluator has no key metric)")
    else:  # the metric promote decides on, and its direction
        metric, higher_is_better = steps.deciding_metric(config, evaluator)
    direction = spec.direction or ("maximize" if higher_is_better else "minimize")
    name = study_name or spec.study or config.experiment
    seed = spec.seed if spec.seed is not None else config.seed

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # this module prints each trial
    storage, storage_text = open_storage()
    study, created = _open_study(name, storage, direction, spec.pruner)
    uri, experiment_id = steps.open_experiment(config)
    settings = {"metric": metric, "direction": direction, "sampler": spec.sampler,
                "pruner": spec.pruner, "seed": seed,
                **{f"space.{k}": v.to_dict() for k, v in spec.params.items()}}  # fmt: skip
    parent_id = _parent_run(study, created, experiment_id, storage_text, settings)
    recording.reopen_sweep_run(parent_id)
    logger.info(
        "Study %r (%s) in %s: %d of %d trials finished; %s %s",
        name, direction, storage_text, _finished(study), budget, direction, metric,
    )  # fmt: skip
    logger.info("Parent run: %s", store.run_url(uri, experiment_id, parent_id))

    try:
        with _quiet_trainings():
            while (trial := _next_trial(study, budget)) is not None:
                with _failed_unless_told(study, trial):
                    study.sampler = _sampler(spec.sampler, seed + trial.number)  # see _sampler
                    _run_trial(study, trial, config, spec, metric, parent_id)
    except BaseException as error:
        stopped = isinstance(error, interrupts.Interrupted | KeyboardInterrupt)
        try:  # what the finished trials found is kept; the error is the news
            _record(study, parent_id, budget, metric, stopped="KILLED" if stopped else "FAILED")
        except Exception as failure:
            logger.warning("Could not update the parent run: %s", failure)
        raise
    best, done = _record(study, parent_id, budget, metric)

    registered_uri = None
    if register_best and best is not None and done:  # by the worker that saw the study end
        registered_uri = _register_best(config, best.user_attrs[MODEL_ATTR])
    parent = steps.RunSummary(
        run_id=parent_id,
        experiment_id=experiment_id,
        tracking_uri=uri,
        metrics={metric: best.value} if best is not None and best.value is not None else {},
    )
    return SweepSummary(
        study=name,
        storage=storage_text,
        metric=metric,
        direction=direction,
        finished=_finished(study),
        budget=budget,
        best_trial=best.number if best is not None else None,
        best_value=best.value if best is not None else None,
        best_params=dict(best.params) if best is not None else {},
        best_run_id=best.user_attrs.get(RUN_ATTR) if best is not None else None,
        parent=parent,
        registered_uri=registered_uri,
    )


def search_space(config: ExperimentConfig) -> SweepSpec:
    """Return the config's ``sweep`` section, or refuse with an example of one."""
    if config.sweep is None:
        where = f" to {config.source}" if config.source else ""
        raise ConfigError(
            f"The config has no search space: add a 'sweep' section{where}, for example\n"
            f"{SWEEP_EXAMPLE}\n(see docs/sweeps.md)"
        )
    return config.sweep


def open_storage() -> tuple[optuna.storages.BaseStorage, str]:
    """Open the study storage of ``OPTUNA_STORAGE``: (the storage, its URI without password).

    An URL (``postgresql://``, ``sqlite:///``...) is an RDB storage shared by every worker
    that can reach it; anything else is a journal file (relative paths: from the project
    root), for the workers of one machine.
    """
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    prepare_environment(PROJECT_ROOT)  # reads .env
    value = os.environ.get(STORAGE_ENV, "").strip()
    if "://" not in value:
        path = PROJECT_ROOT / (value or JOURNAL_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path))), str(path)
    from sqlalchemy.engine import make_url

    url = make_url(value)
    if url.drivername == "postgresql":  # SQLAlchemy's default driver is psycopg2: use psycopg 3
        url = url.set(drivername="postgresql+psycopg")
    shown = url.render_as_string(hide_password=True)
    if url.drivername == "postgresql+psycopg":
        try:
            import psycopg  # noqa: F401
        except ImportError as error:
            raise RefusedError(
                f"{STORAGE_ENV} is a PostgreSQL database but psycopg is not installed: run "
                "`make sweep` (it installs the 'server' extra) or install psycopg[binary]"
            ) from error
    # Workers starting together race to create the schema: the losers try again.
    for attempt in range(5):
        try:
            return optuna.storages.RDBStorage(url.render_as_string(hide_password=False)), shown
        except Exception:
            if attempt == 4:
                raise
            time.sleep(1 + attempt)
    raise AssertionError("unreachable")


def _open_study(
    name: str, storage: optuna.storages.BaseStorage, direction: str, pruner: str
) -> tuple[optuna.Study, bool]:
    """Create the study or join it: (the study, whether this worker created it)."""
    import optuna

    pruning = optuna.pruners.MedianPruner() if pruner == "median" else optuna.pruners.NopPruner()
    try:
        study = optuna.create_study(
            study_name=name, storage=storage, direction=direction, pruner=pruning
        )
        return study, True
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=name, storage=storage, pruner=pruning)
    if study.direction.name.lower() != direction:
        raise RefusedError(
            f"Study {name!r} already exists and {study.direction.name.lower()}s its metric, "
            f"not {direction}: pick another name with --study"
        )
    return study, False


def _parent_run(
    study: optuna.Study,
    created: bool,
    experiment_id: str,
    storage: str,
    settings: dict[str, Any],
) -> str:
    """Return the study's parent run; whoever created the study creates the run too.

    The study's creation is atomic in every Optuna storage, so exactly one worker makes the
    parent run and writes its id on the study; the others wait for it.
    """
    deadline = time.monotonic() + _PARENT_WAIT_SECONDS
    while True:
        run_id = study.user_attrs.get(PARENT_RUN_ATTR)
        if run_id and recording.sweep_run_exists(run_id):
            return str(run_id)
        # No run yet: this worker created the study, or its creator died before making the
        # run, or the study outlived the MLflow store its parent run was in.
        if created or run_id or time.monotonic() > deadline:
            run_id = recording.create_sweep_run(experiment_id, study.study_name, storage, settings)
            study.set_user_attr(PARENT_RUN_ATTR, run_id)
            return run_id
        time.sleep(0.5)
        study = _reloaded(study)


def _reloaded(study: optuna.Study) -> optuna.Study:
    import optuna

    return optuna.load_study(study_name=study.study_name, storage=study._storage)


def _sampler(kind: str, seed: int) -> optuna.samplers.BaseSampler:
    """A sampler seeded for one trial number.

    Seeding each trial by its number, rather than each worker once, keeps a single-worker
    sweep repeatable and stops two workers with the same config from proposing the same
    values. The samplers keep no state of their own: TPE reads the finished trials from
    the storage every time.
    """
    import optuna

    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def _next_trial(study: optuna.Study, budget: int) -> optuna.Trial | None:
    """Start the next trial, or None when the study has all its trials finished or running.

    Two workers may both see one trial missing and both ask: the storage numbers trials
    in order, so the one whose trial has ``budget`` others before it gives it up (FAIL,
    user attribute ``surplus``).
    """
    from optuna.trial import TrialState

    if _counted(study.get_trials(deepcopy=False)) >= budget:
        return None
    trial = study.ask()
    earlier = [t for t in study.get_trials(deepcopy=False) if t.number < trial.number]
    if _counted(earlier) >= budget:
        trial.set_user_attr("surplus", True)
        study.tell(trial, state=TrialState.FAIL)
        return None
    return trial


def _counted(trials: list[optuna.trial.FrozenTrial]) -> int:
    """Trials that count against the budget: all but the failed ones."""
    from optuna.trial import TrialState

    return sum(t.state != TrialState.FAIL for t in trials)


def _finished(study: optuna.Study) -> int:
    from optuna.trial import TrialState

    states = (TrialState.COMPLETE, TrialState.PRUNED)
    return len(study.get_trials(deepcopy=False, states=states))


def _run_trial(
    study: optuna.Study,
    trial: optuna.Trial,
    config: ExperimentConfig,
    spec: SweepSpec,
    metric: str,
    parent_id: str,
) -> None:
    """Train with the trial's values; tell Optuna the metric, or FAIL if training did not end."""
    from optuna.trial import TrialState

    values = {name: _suggest(trial, name, space) for name, space in spec.params.items()}
    tags = {
        recording.SWEEP_STUDY_TAG: study.study_name,
        recording.SWEEP_TRIAL_TAG: str(trial.number),
    }
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
    trial.set_user_attr(RUN_ATTR, summary.run_id)
    trial.set_user_attr(MODEL_ATTR, summary.model_uri)
    trial.set_user_attr(DIGEST_ATTR, _held_out_digest(summary.run_id))
    _check_same_rows(study, trial)
    value = summary.metrics[metric]
    trial.report(value, step=0)
    pruned = trial.should_prune()
    study.tell(trial, value if not pruned else None, state=TrialState.PRUNED if pruned else None)
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    best = study.best_trial if complete else None  # pruned trials have no best
    logger.info(
        "trial %3d  %s %.4f%s  %s  | best %.4f (trial %d)",
        trial.number, metric, value, " (pruned)" if pruned else "", _shown(values),
        best.value if best else float("nan"), best.number if best else -1,
    )  # fmt: skip


@contextmanager
def _failed_unless_told(study: optuna.Study, trial: optuna.Trial) -> Iterator[None]:
    """Mark the trial FAIL if the block ends before telling Optuna its result.

    An error or an interrupt (Ctrl-C, SIGTERM: the trial's run then ends FAILED or KILLED)
    must not leave the trial RUNNING, where it would count against the budget for ever.
    """
    from optuna.trial import TrialState

    try:
        yield
    except BaseException:
        study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
        raise


def _suggest(trial: optuna.Trial, name: str, space: SearchRange) -> object:
    if space.type == "choice":
        return trial.suggest_categorical(name, list(space.choices))
    if space.type == "int":
        return trial.suggest_int(name, space.low, space.high, step=space.step or 1, log=space.log)
    return trial.suggest_float(name, space.low, space.high, step=space.step, log=space.log)


def _shown(values: dict[str, Any]) -> str:
    return " ".join(
        f"{name.rpartition('.')[2]}={value:.4g}"
        if isinstance(value, float)
        else f"{name.rpartition('.')[2]}={value}"
        for name, value in values.items()
    )


def _held_out_digest(run_id: str) -> str | None:
    import mlflow

    return recording.input_digest(mlflow.get_run(run_id), recording.EVALUATION)


def _check_same_rows(study: optuna.Study, trial: optuna.Trial) -> None:
    """Refuse a trial scored on other held-out rows than the study's first trial."""
    digest = trial.user_attrs.get(DIGEST_ATTR)
    for other in study.get_trials(deepcopy=False):
        reference = other.user_attrs.get(DIGEST_ATTR)
        if other.number < trial.number and reference and other.state.name != "FAIL":
            if reference != digest:
                raise RefusedError(
                    f"Trial {trial.number} was scored on other held-out rows than trial "
                    f"{other.number} (digest {digest} vs {reference}): every worker of a "
                    "study needs the same data and split"
                )
            return


def _record(
    study: optuna.Study, parent_id: str, budget: int, metric: str, *, stopped: str | None = None
) -> tuple[optuna.trial.FrozenTrial | None, bool]:
    """Write the study's state on the parent run: (the best trial so far, whether it is done).

    The parent run ends FINISHED when the study has all its trials and none is running
    (whichever worker sees that first); when this worker was ``stopped`` (KILLED: by a
    signal, FAILED: by an error) and no other worker is running trials, it ends so; otherwise
    it stays RUNNING for the workers still at work.
    """
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    running = sum(t.state == TrialState.RUNNING for t in trials)
    finished = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    digests = {t.user_attrs.get(DIGEST_ATTR) for t in finished}
    best = study.best_trial if complete else None
    summary: dict[str, Any] = {
        "study": study.study_name,
        "trials_complete": len(complete),
        "trials_pruned": sum(t.state == TrialState.PRUNED for t in trials),
        "trials_failed": sum(t.state == TrialState.FAIL for t in trials),
        "trials_budget": budget,
        "same_held_out_rows": len(digests) <= 1,
        "held_out_digest": next(iter(digests)) if len(digests) == 1 else "",
    }
    if best is not None:
        summary.update({f"best_{metric}": best.value, "best_trial": str(best.number),
                        "best_run_id": best.user_attrs.get(RUN_ATTR, "")})  # fmt: skip
    if len(digests) > 1:
        logger.warning("The trials were scored on different held-out rows: %s", digests)
    elif digests:
        logger.info("All %d trials were scored on the same held-out rows.", len(finished))
    done = _finished(study) >= budget and running == 0
    status = "FINISHED" if done else (stopped if running == 0 else None)
    recording.record_sweep(
        parent_id, summary, best.params if best else {}, _figures(study), status
    )
    return best, done


def _figures(study: optuna.Study) -> dict[str, Any]:
    """Optuna's optimisation history and parameter importances, when there is enough to plot."""
    from optuna.exceptions import ExperimentalWarning
    from optuna.visualization import matplotlib as plots

    figures: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        if _finished(study) >= 1:
            figures["optimization_history"] = plots.plot_optimization_history(study).figure
        if _finished(study) >= 2:
            try:
                figures["param_importances"] = plots.plot_param_importances(study).figure
            except (RuntimeError, ValueError) as error:  # e.g. one value tried per parameter
                logger.info("      no parameter importances yet: %s", error)
    return figures


def _register_best(config: ExperimentConfig, model_uri: str) -> str:
    """Register the best trial's model and point ``candidate`` at it, as train would."""
    name = steps.registered_name(config)
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
