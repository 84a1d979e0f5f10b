"""Where the project's experiments are stored, and how MLflow connects to that store.

By default runs go to a SQLite database, ``mlflow.db``, with artifacts in ``mlartifacts/``,
both at the project root and addressed by absolute paths: a run started from
``notebooks/``, ``tests/`` or any other folder lands in the same store. (MLflow's own
default, ``sqlite:///mlflow.db``, follows the working directory instead.)

Setting ``MLFLOW_TRACKING_URI``, in the environment or in a ``.env`` file at the project
root, sends runs to a tracking server instead, with no code change. See docs/tracking.md.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..paths import PROJECT_ROOT
from .recording import prepare_environment
from .retries import retried

if TYPE_CHECKING:
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

STORE_FILE = "mlflow.db"
ARTIFACTS_FOLDER = "mlartifacts"
UI_HOST = "127.0.0.1"
UI_PORT = 5000
_LOCK_TIMEOUT_SECONDS = 300


def tracking_uri() -> str:
    """Return where runs are stored: ``MLFLOW_TRACKING_URI`` or the project's SQLite file.

    A relative SQLite path in ``MLFLOW_TRACKING_URI`` is taken from the project root, so it
    does not depend on the working directory either.
    """
    prepare_environment(PROJECT_ROOT)
    uri = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if not uri:
        return sqlite_uri(PROJECT_ROOT / STORE_FILE)
    database = sqlite_path(uri)
    if database is not None and not database.is_absolute():
        return sqlite_uri(PROJECT_ROOT / database)
    return uri


def sqlite_uri(database: Path) -> str:
    """Return the SQLAlchemy URI of a SQLite file (absolute paths give four slashes)."""
    return f"sqlite:///{database.as_posix()}"


def sqlite_path(uri: str) -> Path | None:
    """Return the database file of a ``sqlite:///`` URI, or None for any other store."""
    prefix = "sqlite:///"
    if not uri.startswith(prefix):
        return None
    return Path(uri.removeprefix(prefix).split("?", 1)[0])


def configure() -> str:
    """Point MLflow at the project's store and return its URI; call it before using MLflow.

    A local SQLite store is created on first use, under a file lock: several processes
    creating the same database at once would otherwise corrupt it.
    """
    uri = tracking_uri()
    import mlflow

    database = sqlite_path(uri)
    if database is not None:
        _local_store(database)
    mlflow.set_tracking_uri(uri)
    logging.getLogger("mlflow.utils.environment").addFilter(_without_unpinned_pip_warning)
    return uri


def _without_unpinned_pip_warning(record: logging.LogRecord) -> bool:
    """Hide MLflow's warning that pip is missing (uv environments have none): it is harmless.

    MLflow only uses pip's version to pin pip in the ``conda.yaml`` stored with each model.
    """
    return "Failed to resolve installed pip version" not in record.getMessage()


def set_experiment(name: str) -> str:
    """Make ``name`` the active experiment, creating it if needed, and return its id.

    On a local store a new experiment keeps its artifacts in ``mlartifacts/`` next to the
    database; MLflow would otherwise put them in ``./mlruns`` of the working directory.
    """
    import mlflow

    database = sqlite_path(mlflow.get_tracking_uri())
    if database is not None:
        store = _local_store(database)
        with _lock(database):  # two first runs of an experiment would both create it
            if store.get_experiment_by_name(name) is None:
                store.create_experiment(name)
    # Processes starting the first runs of an experiment on a server race to create it.
    return str(retried(lambda: mlflow.set_experiment(name).experiment_id))


def experiment_id(name: str) -> str | None:
    """Return the id of an experiment, or None if the store has none of that name."""
    import mlflow

    experiment = mlflow.get_experiment_by_name(name)
    return None if experiment is None else str(experiment.experiment_id)


def artifacts_folder(database: Path) -> Path:
    """Return the artifact folder of a local SQLite store: ``mlartifacts/`` beside it."""
    return database.parent / ARTIFACTS_FOLDER


@functools.cache
def _local_store(database: Path) -> SqlAlchemyStore:
    """Open a local store, creating its schema first if needed, under a file lock."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    database = database.resolve()
    database.parent.mkdir(parents=True, exist_ok=True)
    with _lock(database):
        return SqlAlchemyStore(sqlite_uri(database), artifacts_folder(database).as_uri())


def _lock(database: Path):  # noqa: ANN202 - a filelock.FileLock, imported lazily
    from filelock import FileLock

    return FileLock(database.with_name(f"{database.name}.lock"), timeout=_LOCK_TIMEOUT_SECONDS)


def ui_url(uri: str) -> str:
    """Return the address of the MLflow UI for a store: the server itself or ``make ui``."""
    if uri.startswith(("http://", "https://")):
        return uri.rstrip("/")
    return f"http://{UI_HOST}:{UI_PORT}"


def run_url(uri: str, experiment_id: str, run_id: str) -> str:
    """Return the UI address of one run."""
    return f"{ui_url(uri)}/#/experiments/{experiment_id}/runs/{run_id}"


def ui_command(uri: str, port: int = UI_PORT) -> list[str]:
    """Return the ``mlflow ui`` command serving a store on 127.0.0.1.

    For a local SQLite store the database and the artifact folder are passed as absolute
    paths, so the UI shows the project's runs whatever the working directory.
    """
    import sys

    command = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri]
    database = sqlite_path(uri)
    if database is not None:
        artifacts = artifacts_folder(database).as_uri()
        command += ["--default-artifact-root", artifacts, "--artifacts-destination", artifacts]
    # One worker is plenty for one person and starts faster than MLflow's default of four.
    return [*command, "--host", UI_HOST, "--port", str(port), "--workers", "1"]
