"""Retry the store writes that race when many processes write the same thing at once.

Two runs logging the same dataset, or moving the same alias, at the same moment can both
try to insert the same row; the loser gets a unique-constraint error from the database
(``UniqueViolation`` on PostgreSQL, ``UNIQUE constraint failed`` on SQLite). These writes
are idempotent, so trying again after a short random pause succeeds: the row now exists and
is reused. Any other error is raised at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

ATTEMPTS = 6
_CONFLICTS = (
    "UniqueViolation",
    "UNIQUE constraint failed",
    "IntegrityError",
    "RESOURCE_ALREADY_EXISTS",
    "already exists",
    "duplicate key",
)


def is_conflict(error: Exception) -> bool:
    """Whether an error says another writer inserted the same row first."""
    return any(marker in str(error) for marker in _CONFLICTS)


def retry_on_conflict(action: Callable[[], object], attempts: int = ATTEMPTS) -> object:
    """Run an idempotent store write, trying again when it lost a race with another writer.

    Returns what ``action`` returns.
    """
    from mlflow.exceptions import MlflowException

    attempt = 1
    while True:
        try:
            return action()
        except MlflowException as error:
            if attempt >= attempts or not is_conflict(error):
                raise
        time.sleep(random.uniform(0.05, 0.25) * attempt)  # jitter: the racers do not meet again
        attempt += 1
