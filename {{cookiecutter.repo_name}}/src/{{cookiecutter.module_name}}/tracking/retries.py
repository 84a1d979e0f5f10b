"""Retry store requests that fail only because of other writers, a busy store or a blip.

Three kinds of failure pass if tried again:

- a lost race: two runs logging the same dataset, or moving the same alias, at once; the
  loser gets a unique-constraint error (``UniqueViolation`` on PostgreSQL, ``UNIQUE
  constraint failed`` on SQLite). Retried after a short random pause, a few times.
- a busy store: a tracking server with no free database connection (``QueuePool limit``,
  ``too many clients``), or a SQLite file locked by another process (``database is
  locked``). Retried with an exponential back-off (1, 2, 4 ... 64 s).
- a store that does not answer: connection refused or reset, a timeout, a gateway error.
  Retried with the same back-off, each wait announced on the console ("waiting for the
  tracking store..."), since MLflow's own silent retries are turned off
  (:mod:`.environment`).

Waiting for a busy or silent store is bounded: after ``TRACKING_STORE_WAIT_SECONDS`` (default
300) in all, :class:`StoreUnavailableError` says so. The requests retried here are idempotent,
or made so (:func:`retried_creation`: a retry looks for what an earlier try made), so
trying again is safe. Any other error is raised at once.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
CONFLICT_ATTEMPTS = 8
WAIT_ENV = "TRACKING_STORE_WAIT_SECONDS"
DEFAULT_WAIT_SECONDS = 300.0
LONGEST_PAUSE_SECONDS = 64.0
# After an error or an interrupt, cleaning up (ending a run, undoing) waits at most this long.
CLEANUP_WAIT_SECONDS = 30.0
_CONFLICTS = (
    "UniqueViolation",
    "UNIQUE constraint failed",
    "IntegrityError",
    "RESOURCE_ALREADY_EXISTS",
    "already exists",
    "duplicate key",
)
_BUSY = ("QueuePool limit", "too many clients", "TEMPORARILY_UNAVAILABLE", "database is locked")
_UNAVAILABLE = (
    "Max retries exceeded",
    "Connection refused",
    "Connection aborted",
    "Connection reset",
    "RemoteDisconnected",
    "timed out",
    "Bad Gateway",
    "Service Unavailable",
    "Gateway Timeout",
    "could not connect to server",
    "server closed the connection",
)


class StoreUnavailableError(ConnectionError):
    """The tracking store stayed busy or silent for longer than the configured wait."""


def is_conflict(error: BaseException) -> bool:
    """Whether an error says another writer inserted the same row first."""
    return any(marker in str(error) for marker in _CONFLICTS)


def is_busy(error: BaseException) -> bool:
    """Whether an error says the store had no connection free, or its file was locked."""
    return any(marker in str(error) for marker in _BUSY)


def is_unavailable(error: BaseException) -> bool:
    """Whether an error says the store could not be reached, or did not answer in time."""
    return isinstance(error, ConnectionError | TimeoutError) or any(
        marker in str(error) for marker in _UNAVAILABLE
    )


def max_wait_seconds() -> float:
    """How long, in all, a command waits for a busy or silent store (``WAIT_ENV``)."""
    text = os.environ.get(WAIT_ENV, "").strip()
    try:
        return max(float(text), 0.0) if text else DEFAULT_WAIT_SECONDS
    except ValueError:
        return DEFAULT_WAIT_SECONDS


def cleanup_wait_seconds() -> float:
    """How long to wait for the store while cleaning up after an error: briefly."""
    return min(CLEANUP_WAIT_SECONDS, max_wait_seconds())


def retried(  # noqa: UP047 - `def retried[T]` needs Python 3.12; this runs on 3.10 too
    action: Callable[[], T], *, conflicts: bool = True, max_wait: float | None = None
) -> T:
    """Run an idempotent store request, trying again after a lost race, a busy or silent store.

    Args:
        action: The request.
        conflicts: Whether a lost race is retried too; ``False`` for a request that cannot
            lose one, so that a conflict error reaches the caller.
        max_wait: Longest wait in all for a busy or silent store, in seconds (default:
            :func:`max_wait_seconds`).

    Returns:
        What ``action`` returns.

    Raises:
        StoreUnavailableError: The store stayed busy or silent for longer than ``max_wait``.
    """
    limit = max_wait_seconds() if max_wait is None else max_wait
    started = time.monotonic()
    attempt = 1
    while True:
        try:
            return action()
        except StoreUnavailableError:
            raise
        except Exception as error:
            waiting = is_busy(error) or is_unavailable(error)
            if not waiting and not (conflicts and is_conflict(error)):
                raise
            if not waiting and attempt >= CONFLICT_ATTEMPTS:
                raise
            # Jitter, so that the writers that met once do not meet again.
            pause = min(2.0 ** (attempt - 1), LONGEST_PAUSE_SECONDS) if waiting else 0.15 * attempt
            pause *= random.uniform(0.5, 1.5)
            if waiting:
                waited = time.monotonic() - started
                if waited + pause > limit:
                    raise StoreUnavailableError(
                        f"the tracking store did not answer for {waited:.0f} s (last error: "
                        f"{_first_line(error)}); check that it runs and is reachable, or wait "
                        f"longer with {WAIT_ENV}"
                    ) from error
                logger.warning(
                    "waiting for the tracking store (%s), attempt %d, next in %.0f s",
                    _first_line(error, 100),
                    attempt,
                    pause,
                )
        time.sleep(pause)
        attempt += 1


def retried_creation(  # noqa: UP047 - `def retried_creation[T]` needs Python 3.12
    create: Callable[[], T], made_earlier: Callable[[], T | None], *, conflicts: bool = True
) -> tuple[T, bool]:
    """Create something (a run, a model version) that is not idempotent, as :func:`retried`.

    A busy server may write what a try asked for and lose the answer: each retry first asks
    ``made_earlier`` for what an earlier try made, and takes it up instead of making a second.

    Returns:
        What was created, and whether it took more than one try: then the server may still
        write a twin after the retry looked, which the caller deletes once it is safe to.
    """
    tries = 0

    def attempt() -> T:
        nonlocal tries
        tries += 1
        earlier = made_earlier() if tries > 1 else None
        return create() if earlier is None else earlier

    return retried(attempt, conflicts=conflicts), tries > 1


def _first_line(error: BaseException, limit: int = 300) -> str:
    text = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return text if len(text) <= limit else f"{text[:limit]}…"
