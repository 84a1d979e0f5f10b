"""Optuna studies: how workers share one, how its trials are counted.

A study lives in the storage of :mod:`.study_storage`. Workers join a study by name and split
its trials: the storage numbers trials in order, so a worker stops when the study has as many
trials finished or running as its budget. The sweep workflow only sees :class:`Study`: it
never talks to Optuna itself.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .study_storage import StudyError, open_storage

if TYPE_CHECKING:
    import optuna
    from matplotlib.figure import Figure

    from ..config import SearchRange

logger = logging.getLogger(__name__)

PARENT_RUN_ATTR = "mlflow_parent_run_id"
RUN_ATTR, MODEL_ATTR, DIGEST_ATTR = "mlflow_run_id", "mlflow_model_uri", "heldout_digest"
DIRECTIONS = ("maximize", "minimize")


@dataclass(frozen=True)
class BestTrial:
    """The best complete trial of a study.

    Attributes:
        number: Its number in the study.
        value: Its objective value.
        params: Its parameters, by dotted config key.
        run_id: Its MLflow run.
        model_uri: The model its run logged.
    """

    number: int
    value: float
    params: dict[str, Any]
    run_id: str | None
    model_uri: str | None


@dataclass(frozen=True)
class StudyState:
    """What a study holds: its trials by state, its best trial, the rows they were scored on.

    Attributes:
        complete: Trials that ended with a value.
        pruned: Trials that ended worse than the median of the earlier ones (``median``).
        failed: Trials that failed or were interrupted (they do not count).
        running: Trials some worker is running now.
        best: The best complete trial, if any.
        digests: The held-out rows' digests of the finished trials (one if all agree).
    """

    complete: int
    pruned: int
    failed: int
    running: int
    best: BestTrial | None
    digests: set[str | None] = field(default_factory=set)

    @property
    def finished(self) -> int:
        """Trials finished: complete or pruned."""
        return self.complete + self.pruned

    def done(self, budget: int) -> bool:
        """Whether the study has all its trials and none is running."""
        return self.finished >= budget and self.running == 0


class Study:
    """An Optuna study of this project's sweep, joined or created by name.

    Args:
        study: The Optuna study.
        storage: Its storage.
        where: Where it is stored, without any password (for messages and records).
    """

    def __init__(
        self, study: optuna.Study, storage: optuna.storages.BaseStorage, where: str
    ) -> None:
        """Wrap an open study."""
        self._study = study
        self._storage = storage
        self.where = where

    @classmethod
    def open(cls, name: str, direction: str, pruner: str) -> tuple[Study, bool]:
        """Create the study or join it: (the study, whether this worker created it).

        Raises:
            StudyError: The study exists and optimises in the other direction.
        """
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)  # the sweep prints each trial
        storage, where = open_storage()
        pruning = (
            optuna.pruners.MedianPruner() if pruner == "median" else optuna.pruners.NopPruner()
        )
        try:
            study = optuna.create_study(
                study_name=name, storage=storage, direction=direction, pruner=pruning
            )
            return cls(study, storage, where), True
        except optuna.exceptions.DuplicatedStudyError:
            study = optuna.load_study(study_name=name, storage=storage, pruner=pruning)
        existing = study.direction.name.lower()
        if existing != direction:
            raise StudyError(
                f"Study {name!r} already exists and {existing}s its metric, not {direction}: "
                "pick another name with --study"
            )
        return cls(study, storage, where), False

    @property
    def name(self) -> str:
        """The study's name."""
        return self._study.study_name

    @property
    def parent_run_id(self) -> str | None:
        """The MLflow run the study's trials are nested under, once its creator made it."""
        self._study = _reloaded(self._study, self._storage)
        value = self._study.user_attrs.get(PARENT_RUN_ATTR)
        return str(value) if value else None

    def set_parent_run_id(self, run_id: str) -> None:
        """Record the study's parent run on the study, for the other workers."""
        self._study.set_user_attr(PARENT_RUN_ATTR, run_id)

    def next_trial(self, budget: int) -> optuna.Trial | None:
        """Start the next trial, or None when the study has all its trials finished or running.

        Two workers may both see one trial missing and both ask: the storage numbers trials
        in order, so the one whose trial has ``budget`` others before it gives it up (FAIL,
        user attribute ``surplus``).
        """
        from optuna.trial import TrialState

        if _counted(self._study.get_trials(deepcopy=False)) >= budget:
            return None
        trial = self._study.ask()
        earlier = [t for t in self._study.get_trials(deepcopy=False) if t.number < trial.number]
        if _counted(earlier) >= budget:
            trial.set_user_attr("surplus", True)
            self._study.tell(trial, state=TrialState.FAIL)
            return None
        return trial

    @contextmanager
    def failed_unless_told(self, trial: optuna.Trial) -> Iterator[None]:
        """Mark the trial FAIL if the block ends before its result was told.

        An error or an interrupt (Ctrl-C, SIGTERM: the trial's run then ends FAILED or
        KILLED) must not leave the trial RUNNING, where it would count for ever.
        """
        from optuna.trial import TrialState

        try:
            yield
        except BaseException:
            self._study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
            raise

    def suggest(
        self, trial: optuna.Trial, space: Mapping[str, SearchRange], sampler: str, seed: int
    ) -> dict[str, Any]:
        """Draw the trial's values of the search space, with a sampler seeded for this trial.

        Seeding each trial by its number, rather than each worker once, keeps a one-worker
        sweep repeatable and stops two workers with the same config from proposing the same
        values. The samplers keep no state of their own: TPE reads the finished trials from
        the storage every time.
        """
        import optuna

        kind = optuna.samplers.RandomSampler if sampler == "random" else optuna.samplers.TPESampler
        self._study.sampler = kind(seed=seed + trial.number)
        return {name: _suggest(trial, name, values) for name, values in space.items()}

    def tell(
        self, trial: optuna.Trial, value: float, run_id: str, model_uri: str | None, digest: str
    ) -> bool:
        """Record a trial's value, run, model and held-out rows; return whether it was pruned.

        Raises:
            StudyError: The trial was scored on other held-out rows than the study's first.
        """
        from optuna.trial import TrialState

        trial.set_user_attr(RUN_ATTR, run_id)
        trial.set_user_attr(MODEL_ATTR, model_uri)
        trial.set_user_attr(DIGEST_ATTR, digest)
        self._check_same_rows(trial.number, digest)
        trial.report(value, step=0)
        pruned = trial.should_prune()
        state = TrialState.PRUNED if pruned else None
        self._study.tell(trial, None if pruned else value, state=state)
        return pruned

    def state(self) -> StudyState:
        """Count the study's trials and find its best one."""
        from optuna.trial import TrialState

        trials = self._study.get_trials(deepcopy=False)
        count = {state: sum(t.state == state for t in trials) for state in TrialState}
        finished = (TrialState.COMPLETE, TrialState.PRUNED)
        best = None
        if count[TrialState.COMPLETE]:
            top = self._study.best_trial
            best = BestTrial(
                top.number,
                float(top.value),
                dict(top.params),
                top.user_attrs.get(RUN_ATTR),
                top.user_attrs.get(MODEL_ATTR),
            )
        return StudyState(
            complete=count[TrialState.COMPLETE],
            pruned=count[TrialState.PRUNED],
            failed=count[TrialState.FAIL],
            running=count[TrialState.RUNNING],
            best=best,
            digests={t.user_attrs.get(DIGEST_ATTR) for t in trials if t.state in finished},
        )

    def figures(self) -> dict[str, Figure]:
        """Optuna's optimisation history and parameter importances, when there is enough."""
        from optuna.exceptions import ExperimentalWarning
        from optuna.visualization import matplotlib as plots

        finished = self.state().finished
        figures: dict[str, Figure] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            # Trials that all scored alike: the figure shows equal importances, as it says.
            warnings.filterwarnings("ignore", "Target and region quantiles", UserWarning)
            if finished >= 1:
                figures["optimization_history"] = plots.plot_optimization_history(
                    self._study
                ).figure
            if finished >= 2:
                try:
                    figures["param_importances"] = plots.plot_param_importances(self._study).figure
                except (RuntimeError, ValueError) as error:  # one value tried per parameter
                    logger.info("      no parameter importances yet: %s", error)
        # Optuna draws through pyplot, which keeps every figure until it is closed; a closed
        # figure can still be saved, and a long-lived process (a notebook, a test session)
        # must not collect them.
        from matplotlib import pyplot

        for figure in figures.values():
            pyplot.close(figure)
        return figures

    def _check_same_rows(self, number: int, digest: str) -> None:
        """Refuse a trial scored on other held-out rows than the study's first trial."""
        for other in self._study.get_trials(deepcopy=False):
            reference = other.user_attrs.get(DIGEST_ATTR)
            if other.number < number and reference and other.state.name != "FAIL":
                if reference != digest:
                    raise StudyError(
                        f"Trial {number} was scored on other held-out rows than trial "
                        f"{other.number} (digest {digest} vs {reference}): every worker of a "
                        "study needs the same data and split"
                    )
                return


def _reloaded(study: optuna.Study, storage: optuna.storages.BaseStorage) -> optuna.Study:
    """The study as the storage has it now, with this worker's sampler and pruner."""
    import optuna

    return optuna.load_study(
        study_name=study.study_name, storage=storage, sampler=study.sampler, pruner=study.pruner
    )


def _counted(trials: list[optuna.trial.FrozenTrial]) -> int:
    """Trials that count against the budget: all but the failed ones."""
    from optuna.trial import TrialState

    return sum(t.state != TrialState.FAIL for t in trials)


def _suggest(trial: optuna.Trial, name: str, space: SearchRange) -> object:
    if space.type == "choice":
        return trial.suggest_categorical(name, list(space.choices))
    if space.type == "int":
        return trial.suggest_int(name, space.low, space.high, step=space.step or 1, log=space.log)
    return trial.suggest_float(name, space.low, space.high, step=space.step, log=space.log)
