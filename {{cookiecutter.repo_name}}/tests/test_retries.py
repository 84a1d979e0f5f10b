"""Store writes that lose a race, or meet a busy server, are tried again; others are not."""

import pytest
from mlflow.exceptions import MlflowException

from {{ cookiecutter.module_name }}.tracking import retries


def flaky(message, failures):
    """An action failing ``failures`` times with ``message``, then returning 'done'."""
    calls = []

    def action():
        calls.append(1)
        if len(calls) <= failures:
            raise MlflowException(message)
        return "done"

    return action, calls


@pytest.fixture
def pauses(monkeypatch):
    """Sleep on a fake clock: record each pause and move the clock on by it."""
    slept = []

    def sleep(seconds):
        slept.append(seconds)

    monkeypatch.setattr(retries.time, "sleep", sleep)
    monkeypatch.setattr(retries.time, "monotonic", lambda: sum(slept))
    return slept


def test_a_lost_race_is_retried_soon(pauses):
    action, calls = flaky('duplicate key value violates unique constraint "dataset_pk"', 2)
    assert retries.retried(action) == "done"
    assert len(calls) == 3
    assert max(pauses) < 1


def test_a_busy_server_is_retried_with_growing_pauses(pauses):
    action, calls = flaky("QueuePool limit of size 3 overflow 3 reached", 4)
    assert retries.retried(action) == "done"
    assert len(calls) == 5
    assert pauses[-1] > pauses[0]
    assert sum(pauses) > 5  # long enough for the server to free connections


def test_other_errors_and_endless_failures_are_raised(pauses):
    action, calls = flaky("RESOURCE_DOES_NOT_EXIST: no such run", 1)
    with pytest.raises(MlflowException, match="no such run"):
        retries.retried(action)
    assert len(calls) == 1
    action, calls = flaky("duplicate key value violates unique constraint", 100)
    with pytest.raises(MlflowException, match="duplicate key"):
        retries.retried(action)
    assert len(calls) == retries.CONFLICT_ATTEMPTS


def test_a_busy_or_silent_store_is_waited_for_up_to_the_configured_time(
    pauses, monkeypatch, caplog
):
    monkeypatch.setenv(retries.WAIT_ENV, "100")
    action, calls = flaky("Max retries exceeded with url (Connection refused)", 1000)
    with pytest.raises(retries.StoreUnavailableError, match=r"did not answer for .* s"):
        retries.retried(action)
    assert sum(pauses) <= 100
    assert sum(pauses) > 30  # it did wait, with growing pauses
    said = [record.getMessage() for record in caplog.records]
    assert len(said) == len(calls) - 1  # one line per retry
    assert all(line.startswith("waiting for the tracking store (") for line in said)
    assert "attempt 1, next in" in said[0]


def test_a_locked_sqlite_store_is_retried(pauses):
    action, calls = flaky("(sqlite3.OperationalError) database is locked", 3)
    assert retries.retried(action) == "done"
    assert len(calls) == 4


def test_a_write_that_cannot_lose_a_race_retries_only_a_busy_server(pauses):
    action, calls = flaky("RESOURCE_ALREADY_EXISTS: logged model", 1)
    with pytest.raises(MlflowException, match="ALREADY_EXISTS"):
        retries.retried(action, conflicts=False)
    assert len(calls) == 1
    action, calls = flaky("QueuePool limit of size 3 overflow 3 reached", 2)
    assert retries.retried(action, conflicts=False) == "done"
    assert len(calls) == 3


def test_a_creation_retried_takes_up_what_an_earlier_try_made(pauses):
    written = []

    def create():
        written.append(f"run {len(written) + 1}")
        raise MlflowException("Read timed out")  # written, but the answer was lost

    def made_earlier():
        return written[0] if written else None

    assert retries.retried_creation(create, made_earlier) == ("run 1", True)
    assert written == ["run 1"]  # never made twice


def test_a_creation_answered_at_once_never_looks_for_an_earlier_one(pauses):
    def made_earlier():
        raise AssertionError("looked for an earlier try after the first")

    assert retries.retried_creation(lambda: "run 1", made_earlier) == ("run 1", False)
