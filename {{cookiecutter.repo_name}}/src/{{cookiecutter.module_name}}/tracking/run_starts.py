"""A run is made once, though its creation be retried after a lost answer.

Creating a run is not idempotent: a busy server may write it and lose the answer, so that a
retry makes a second. Each creation therefore tags its run with a fresh token
(``START_TOKEN_TAG``): a retry first looks for the run the token made
(:func:`run_started_with`), and a twin the server wrote after that look is deleted once the
run is whole (:func:`delete_duplicates`).
"""

from __future__ import annotations

import logging

from . import batches
from .retries import cleanup_wait_seconds, retried

logger = logging.getLogger(__name__)

START_TOKEN_TAG = "process.start_token"


def run_started_with(experiment_id: str, token: str) -> str | None:
    """The id of the run an earlier try to create it made, if it was made.

    Creating a run is not idempotent: a busy server may write it and lose the answer. A
    creation tags the run with a fresh ``token`` (``START_TOKEN_TAG``); a retry looks first.
    """
    from mlflow import MlflowClient

    found = MlflowClient().search_runs(
        [experiment_id], filter_string=_started_with(token), max_results=1
    )
    return found[0].info.run_id if found else None


def delete_duplicates(experiment_id: str, token: str, keep: str) -> None:
    """Delete the runs a retried creation made besides ``keep``: their answers were lost.

    A start whose answer timed out may still be written by the server after the retry
    looked for it, leaving an empty RUNNING twin. It is tagged with the run it duplicates,
    then deleted (restorable, and purged by ``mlflow gc``). Never raises: the run is whole.
    """
    from mlflow import MlflowClient

    client = MlflowClient()
    try:
        twins = retried(
            lambda: client.search_runs([experiment_id], filter_string=_started_with(token)),
            max_wait=cleanup_wait_seconds(),
        )
        tags = batches.tags({"closed_because": f"a duplicate start of run {keep}"})
        for twin in (run.info.run_id for run in twins if run.info.run_id != keep):
            retried(lambda t=twin: client.log_batch(t, tags=tags))
            retried(lambda t=twin: client.set_terminated(t, "KILLED"))
            retried(lambda t=twin: client.delete_run(t))
            logger.warning("Deleted run %s: a duplicate start of run %s", twin, keep)
    except Exception as error:
        logger.warning("Could not look for duplicates of run %s: %s", keep, error)


def _started_with(token: str) -> str:
    """The search filter of the runs a creation tagged with ``token``."""
    return f"tags.`{START_TOKEN_TAG}` = '{token}'"
