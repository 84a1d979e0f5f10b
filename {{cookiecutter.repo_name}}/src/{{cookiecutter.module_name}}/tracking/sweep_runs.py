"""A sweep's parent run: one per Optuna study, shared by every worker of the study.

The parent belongs to the study, not to a process: it has no process tags, so another
command never closes it as abandoned while some worker still runs trials under it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import batches
from .retries import retried, retried_creation
from .run_starts import START_TOKEN_TAG, delete_duplicates, run_started_with
from .runs import RUN_TYPE_TAG, find_run

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .studies import Study, StudyState

SWEEP_RUN_TYPE = "sweep"
SWEEP_STUDY_TAG, SWEEP_TRIAL_TAG = "sweep.study", "sweep.trial"
SWEEP_BEST_PREFIX = "sweep.best."
_PARENT_WAIT_SECONDS = 120


def parent_run(
    study: Study, created: bool, experiment_id: str, settings: Mapping[str, Any]
) -> str:
    """Return the study's parent run; whoever created the study creates the run too.

    The study's creation is atomic in every Optuna storage, so exactly one worker makes the
    parent run and writes its id on the study; the others wait for it. The run is marked
    RUNNING again: this worker is adding trials to it.
    """
    deadline = time.monotonic() + _PARENT_WAIT_SECONDS
    while True:
        run_id = study.parent_run_id
        if run_id and sweep_run_exists(run_id):
            break
        # No run yet: this worker created the study, or its creator died before making the
        # run, or the study outlived the MLflow store its parent run was in.
        if created or run_id or time.monotonic() > deadline:
            run_id = create_sweep_run(experiment_id, study.name, study.where, settings)
            study.set_parent_run_id(run_id)
            break
        time.sleep(0.5)
    reopen_sweep_run(run_id)
    return run_id


def create_sweep_run(
    experiment_id: str, study: str, storage: str, settings: Mapping[str, Any]
) -> str:
    """Create a sweep's parent run (RUNNING) and return its id.

    Args:
        experiment_id: The experiment of the trials.
        study: The Optuna study's name.
        storage: Where the study is stored, without any password.
        settings: The study's objective and search space, logged as parameters.
    """
    import mlflow

    client = mlflow.MlflowClient()
    tags = {
        RUN_TYPE_TAG: SWEEP_RUN_TYPE,
        SWEEP_STUDY_TAG: study,
        "sweep.storage": storage,
        "mlflow.runName": f"sweep {study}",
        START_TOKEN_TAG: uuid.uuid4().hex,  # a retry finds the run a lost answer created
    }
    run_id, _ = retried_creation(
        lambda: client.create_run(experiment_id, tags=tags).info.run_id,
        lambda: run_started_with(experiment_id, tags[START_TOKEN_TAG]),
    )
    params = {key: str(value) for key, value in settings.items()}
    retried(lambda: client.log_batch(run_id, params=batches.params(params)))
    return run_id


def sweep_run_exists(run_id: str) -> bool:
    """Whether a sweep's parent run is in the current store (a study may outlive a store)."""
    run = find_run(run_id)
    return run is not None and run.info.lifecycle_stage == "active"


def reopen_sweep_run(run_id: str) -> None:
    """Mark a sweep's parent run RUNNING again: a worker is adding trials to it."""
    import mlflow

    retried(lambda: mlflow.MlflowClient().update_run(run_id, status="RUNNING"))


def record_sweep(
    run_id: str,
    study: str,
    state: StudyState,
    budget: int,
    metric: str,
    figures: Mapping[str, Figure],
    status: str | None,
) -> None:
    """Write what the study knows so far on its parent run; every worker may do it again.

    The study's counts, its best value and trial and the held-out rows' digest become
    metrics (numbers) and ``sweep.*`` tags; the best trial's parameters are tagged
    ``sweep.best.<name>`` (tags, not parameters: the best trial changes as trials are added,
    and MLflow parameters cannot change).

    Args:
        run_id: The parent run.
        study: The study's name.
        state: What the study holds.
        budget: Trials the study should finish.
        metric: The objective.
        figures: Optuna's figures, logged under ``figures/``.
        status: End the run with this status (FINISHED, KILLED); None: leave it RUNNING.
    """
    import mlflow

    summary: dict[str, Any] = {
        "study": study,
        "trials_complete": state.complete,
        "trials_pruned": state.pruned,
        "trials_failed": state.failed,
        "trials_budget": budget,
        "same_held_out_rows": len(state.digests) <= 1,
        "held_out_digest": next(iter(state.digests)) if len(state.digests) == 1 else "",
    }
    best = state.best
    if best is not None:
        summary |= {
            f"best_{metric}": best.value,
            "best_trial": str(best.number),
            "best_run_id": best.run_id or "",
        }
    best_params = best.params if best is not None else {}
    client = mlflow.MlflowClient()
    numbers = {
        k: float(v)
        for k, v in summary.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
    tags = {f"sweep.{k}": str(v) for k, v in summary.items() if k not in numbers}
    tags.update({f"{SWEEP_BEST_PREFIX}{k}": str(v) for k, v in best_params.items()})
    retried(
        lambda: client.log_batch(run_id, metrics=batches.metrics(numbers), tags=batches.tags(tags))
    )
    report = {**summary, "best_params": dict(best_params)}
    retried(lambda: client.log_dict(run_id, report, "sweep.json"))
    for name, figure in figures.items():
        retried(lambda f=figure, n=name: client.log_figure(run_id, f, f"figures/{n}.png"))
    if status is not None:
        retried(lambda: client.set_terminated(run_id, status))
        # A creation retried after a lost answer may have left a twin: gone by the end.
        parent = retried(lambda: client.get_run(run_id))
        if token := parent.data.tags.get(START_TOKEN_TAG):
            delete_duplicates(parent.info.experiment_id, token, keep=run_id)
