"""A run's life, from start to a truthful end, and reading runs back.

Every run is started by :func:`tracked_run` and tagged with its type (``run_type``: train,
promotion, predict...), so that the UI and ``search_runs`` tell them apart, and with the
machine and process that run it, so that a run whose process died is found and closed
(:func:`close_abandoned_runs`). A run ends FINISHED, FAILED or KILLED as what happened
says, and the command says so truthfully (:func:`take_run_ends`).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import interrupts
from ..errors import RefusedError
from . import batches
from .retries import cleanup_wait_seconds, retried, retried_creation
from .run_starts import START_TOKEN_TAG, delete_duplicates, run_started_with

if TYPE_CHECKING:
    from mlflow.entities import Run


logger = logging.getLogger(__name__)

RUN_TYPE_TAG = "run_type"
HOST_TAG, PID_TAG = "process.host", "process.pid"
DECISION_TAG = "decision"
REPRODUCES_TAG = "reproduces"


class MissingRunError(RefusedError, LookupError):
    """A run, or a record a run should hold, is not in the store; the message says which."""


@contextmanager
def tracked_run(
    experiment_id: str,
    run_type: str,
    tags: Mapping[str, str] | None = None,
    *,
    run_name: str | None = None,
    description: str | None = None,
    parent_run_id: str | None = None,
) -> Iterator[Run]:
    """Start a run of the given type (``train``, ``promotion``...), ended when the block ends.

    The run is named ``run_name`` (default: its type, never one of MLflow's random names)
    and ``description`` is its note, shown on the run's page.

    The run ends FINISHED if the block completes, KILLED if the process was asked to stop
    (Ctrl-C or SIGTERM, even if a library swallowed the signal on the way), and FAILED on
    any error. It is tagged with this machine and process, so that a run whose process died
    without a word (SIGKILL, power cut) can be found and closed later
    (:func:`close_abandoned_runs`). With ``parent_run_id`` it is nested under that run.
    A start retried after a lost answer leaves one run: the twin the server wrote late is
    deleted when the block ends.
    """
    import mlflow

    token = uuid.uuid4().hex
    all_tags = {RUN_TYPE_TAG: run_type, **_process_tags(), START_TOKEN_TAG: token, **(tags or {})}

    def start() -> Run:
        return mlflow.start_run(
            experiment_id=experiment_id,
            run_name=run_name or run_type,
            tags=all_tags,
            description=description or None,
            parent_run_id=parent_run_id,
        )

    def started_earlier() -> Run | None:
        earlier = run_started_with(experiment_id, token)
        return None if earlier is None else mlflow.start_run(run_id=earlier)

    run, start_retried = retried_creation(start, started_earlier)
    try:
        yield run
        if interrupts.received() is not None:  # a signal that something swallowed
            raise interrupts.Interrupted(interrupts.received())
    except (interrupts.Interrupted, KeyboardInterrupt):
        _end(run.info.run_id, "KILLED", after_error=True)
        raise
    except BaseException:
        _end(run.info.run_id, "FAILED", after_error=True)
        raise
    else:
        _end(run.info.run_id, "FINISHED", after_error=False)
    finally:
        if start_retried:  # by now, a lost answer's run has long been written: delete it
            delete_duplicates(experiment_id, token, keep=run.info.run_id)


@contextmanager
def training_run(
    experiment_id: str,
    run_name: str,
    description: str | None,
    parent_run_id: str | None,
    tags: Mapping[str, str] | None,
) -> Iterator[Run]:
    """A ``train`` run (see :func:`tracked_run`) that registers nothing unless it finishes.

    If the block does not complete, every version the run registered is withdrawn, with its
    aliases: no alias ever points at the model of an unfinished training.
    """
    from .registry import withdrawn_unless_finished

    with (
        tracked_run(
            experiment_id,
            "train",
            tags,
            run_name=run_name,
            description=description,
            parent_run_id=parent_run_id,
        ) as run,
        withdrawn_unless_finished(run.info.run_id),
    ):
        yield run


@dataclass(frozen=True)
class RunEnd:
    """How a run of this process ended: the status it was given, and whether it was recorded.

    Attributes:
        run_id: The run.
        status: FINISHED, FAILED or KILLED.
        recorded: False if the store did not answer: the run is still RUNNING there, until
            ``close-stale`` or the next command on this machine closes it.
    """

    run_id: str
    status: str
    recorded: bool


_ENDS: list[RunEnd] = []


def _end(run_id: str, status: str, *, after_error: bool) -> None:
    """End the active run with ``status``, retried; after an error, never raise instead of it.

    MLflow takes the run off its active stack before asking the store, so a failed request
    is retried with the client, not by ending the run again (which would do nothing).
    """
    import mlflow

    try:
        try:
            mlflow.end_run(status)
        except Exception:
            wait = cleanup_wait_seconds() if after_error else None
            client = mlflow.MlflowClient()
            retried(lambda: client.set_terminated(run_id, status), max_wait=wait)
    except Exception as error:
        _ENDS.append(RunEnd(run_id, status, recorded=False))
        if not after_error:
            raise
        logger.warning("Could not mark run %s %s: %s", run_id, status, error)
        return
    _ENDS.append(RunEnd(run_id, status, recorded=True))


def take_run_ends() -> list[RunEnd]:
    """Return how this process's runs ended since the last call (for the command's last words)."""
    ends = list(_ENDS)
    _ENDS.clear()
    return ends


def close_abandoned_runs(experiment_id: str, older_than_hours: float | None = None) -> list[str]:
    """Mark as KILLED the runs left RUNNING by a process that can no longer end them.

    A RUNNING run is abandoned when it was started on this machine by a process that no
    longer exists, or, with ``older_than_hours``, when it started longer ago than that
    (whatever machine it ran on). Returns the ids of the runs closed.
    """
    import mlflow

    client = mlflow.MlflowClient()
    running = retried(
        lambda: client.search_runs([experiment_id], filter_string="attributes.status = 'RUNNING'")
    )
    now_ms = time.time() * 1000
    closed = []
    for run in running:
        tags = run.data.tags
        gone = tags.get(HOST_TAG) == socket.gethostname() and not _alive(tags.get(PID_TAG))
        too_old = older_than_hours is not None and (
            now_ms - run.info.start_time > older_than_hours * 3_600_000
        )
        if gone or too_old:
            reason = "its process is gone" if gone else f"running for over {older_than_hours} h"
            tags = {"closed_because": reason, **_what_a_promotion_did(run)}
            retried(lambda r=run, t=tags: client.log_batch(r.info.run_id, tags=batches.tags(t)))
            retried(lambda r=run: client.set_terminated(r.info.run_id, "KILLED"))
            closed.append(run.info.run_id)
    return closed


def _what_a_promotion_did(run: Run) -> dict[str, str]:
    """For a promotion run that died before recording its decision, the decision it made.

    The champion alias moves before the run is tagged ``decision=promoted``: a process
    killed in between (SIGKILL) leaves an alias that moved and a run that does not say so.
    The run is told the truth now: promoted if the alias points at its challenger with this
    run's baseline; else nothing changed, and baseline tags it left on the challenger go.
    """
    from . import champions, registry

    params = run.data.params
    if run.data.tags.get(RUN_TYPE_TAG) != "promotion" or DECISION_TAG in run.data.tags:
        return {}
    name, challenger = params.get("registered_model"), params.get("challenger_version")
    champion = registry.version_by_alias(name, registry.CHAMPION_ALIAS) if name else None
    moved = (
        champion is not None
        and str(champion.version) == challenger
        and (champion.tags or {}).get(champions.BASELINE_RUN_TAG) == run.info.run_id
    )
    if not moved and name and challenger:
        champions.drop_baseline_of(name, challenger, run.info.run_id)
    return {DECISION_TAG: "promoted" if moved else "none"}


def _process_tags() -> dict[str, str]:
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


def _alive(pid: str | None) -> bool:
    """Whether a process with this id exists on this machine (unknown ids count as alive)."""
    if pid is None or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def input_digest(run: Run, context: str) -> str | None:
    """Return the digest of the run's input logged under ``context``, if any."""
    for item in run.inputs.dataset_inputs:
        if any(t.key == "mlflow.data.context" and t.value == context for t in item.tags):
            return item.dataset.digest
    return None


def finished_training_runs(experiment_id: str) -> list[Run]:
    """Return an experiment's finished ``train`` runs, newest first."""
    import mlflow

    return mlflow.search_runs(
        experiment_ids=[experiment_id],
        filter_string=f"tags.{RUN_TYPE_TAG} = 'train' and attributes.status = 'FINISHED'",
        order_by=["attributes.start_time DESC"],
        output_format="list",
    )


def find_run(run_id: str) -> Run | None:
    """Return a run by id, or None if the store has no such run."""
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        return retried(lambda: mlflow.get_run(run_id))
    except MlflowException as error:
        missing = error.get_http_status_code() == 404 or "not found" in str(error).lower()
        if missing or error.error_code == "INVALID_PARAMETER_VALUE":  # not even a run id
            return None
        raise
