"""Where Optuna studies are stored: ``OPTUNA_STORAGE``, from the environment or ``.env``.

An RDB URL such as the team's PostgreSQL shares a study between machines; anything else is a
journal file (default: ``optuna-journal.log`` at the project root) for the workers of one
machine.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from ..errors import RefusedError
from ..paths import PROJECT_ROOT
from .environment import prepare_environment

if TYPE_CHECKING:
    import optuna

STORAGE_ENV = "OPTUNA_STORAGE"
JOURNAL_FILE = "optuna-journal.log"


class StudyError(RefusedError, ValueError):
    """A study that cannot be joined or continued as asked; the message says why."""


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
            raise StudyError(
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
