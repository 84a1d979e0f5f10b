"""Retry the store writes that fail only because other writers were there at the same time.

Two runs logging the same dataset, or moving the same alias, at the same moment can both
try to insert the same row; the loser gets a unique-constraint error from the database
(``UniqueViolation`` on PostgreSQL, ``UNIQUE constraint failed`` on SQLite). And a tracking
server flooded by many clients at once can run out of database connections for a while
(``QueuePool limit ... reached``, ``too many clients``). The writes retried here are
idempotent, so trying again succeeds: after a short random pause for a lost race, after an
exponential back-off (1, 2, 4 ... 64 s) for a busy server. Any other error is raised at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

ATTEMPTS = 8
_CONFLICTS = (
    "UniqueViolation",
    "UNIQUE constraint failed",
    "IntegrityError",
    "RESOURCE_ALREADY_EXISTS",
    "already exists",
    "duplicate key",
)
_BUSY = ("QueuePool limit", "too many clients", "TEMPORARILY_UNAVAILABLE")


def is_conflict(error: Exception) -> bool:
    """Whether an error says another writer inserted the same row first."""
    return any(marker in str(error) for marker in _CONFLICTS)


def is_busy(error: Exception) -> bool:
    """Whether an error says the store had no database connection free for the request."""
    return any(marker in str(error) for marker in _BUSY)


def retried(
    action: Callable[[], object], attempts: int = ATTEMPTS, *, conflicts: bool = True
) -> object:
    """Run an idempotent store write, trying again after a lost race or a busy server.

    Args:
        action: The write.
        attempts: How many times to try in all.
        conflicts: Whether a lost race is retried too; ``False`` for a write that cannot lose
            one, so that a conflict error reaches the caller.

    Returns:
        What ``action`` returns.
    """
    from mlflow.exceptions import MlflowException

    attempt = 1
    while True:
        try:
            return action()
        except MlflowException as error:
            busy = is_busy(error)
            if attempt >= attempts or not (busy or (conflicts and is_conflict(error))):
                raise
        # Jitter, so that the writers that met once do not meet again.
        pause = 2.0 ** (attempt - 1) if busy else 0.15 * attempt
        time.sleep(pause * random.uniform(0.5, 1.5))
        attempt += 1
