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
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, cast

from ..paths import PROJECT_ROOT
from .environment import prepare_environment
from .retries import retried

if TYPE_CHECKING:
    from mlflow.entities import Experiment
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

STORE_FILE = "mlflow.db"
ARTIFACTS_FOLDER = "mlartifacts"
UI_HOST = "127.0.0.1"
UI_PORT = 5000
# MLflow 3's UI opens an experiment as GenAI development (traces, assistant) unless this tag
# names a model-training kind; "*_inferred" values are the UI's own guesses, not choices.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
MODEL_TRAINING_KIND = "custom_model_development"
# MLflow 3.17's UI shows an experiment as GenAI or model training after a switch it keeps in
# the browser (GenAI at first), whatever the tag; this query selects model training.
MODEL_TRAINING_VIEW = "workflowType=machine_learning"
# Warnings MLflow logs that do not apply to this project, hidden unless MLflow logs at INFO.
KNOWN_WARNINGS = {
    # MLflow only uses pip's version to pin pip in the model's conda.yaml; uv has no pip.
    "mlflow.utils.environment": "Failed to resolve installed pip version",
    # The project's own models are pickled, and loading them is refused unless trusted
    # (docs/tracking.md, "Loading models safely").
    "mlflow.pyfunc": "causes it to be serialized using CloudPickle",
}
# The UI server's own noise: a deprecation inside MLflow, and a log line per request.
UI_QUIET_WARNINGS = "ignore:starlette.middleware.wsgi is deprecated"
UI_QUIET_UVICORN = "--no-access-log"
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
    if database is not None and not _has_schema(database):
        _local_store(database)
    mlflow.set_tracking_uri(uri)
    for logger_name, text in KNOWN_WARNINGS.items():
        logging.getLogger(logger_name).addFilter(_KnownWarning(text))
    return uri


class _KnownWarning(logging.Filter):
    """Drop a known, harmless MLflow warning unless MLflow logs at INFO (``-v``)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def __eq__(self, other: object) -> bool:
        # Equal filters are added once: configure() may be called many times.
        return isinstance(other, _KnownWarning) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether to keep the record."""
        verbose = logging.getLogger("mlflow").isEnabledFor(logging.INFO)
        return verbose or self.text not in record.getMessage()


def set_experiment(name: str) -> str:
    """Make ``name`` the active experiment, creating it if needed, and return its id.

    On a local store a new experiment keeps its artifacts in ``mlartifacts/`` next to the
    database; MLflow would otherwise put them in ``./mlruns`` of the working directory.
    The experiment is tagged as model training (:data:`EXPERIMENT_KIND_TAG`), so that the
    UI opens it with its runs table rather than as a GenAI project; an experiment created
    before, or by someone else, gets the tag too unless it already names a kind.
    """
    import mlflow

    database = sqlite_path(mlflow.get_tracking_uri())
    # MLflow's own store answers first: the local one is opened only to create an experiment.
    if database is not None and retried(lambda: mlflow.get_experiment_by_name(name)) is None:
        store = _local_store(database)
        with _lock(database):  # two first runs of an experiment would both create it
            if store.get_experiment_by_name(name) is None:
                store.create_experiment(name)
    # Processes starting the first runs of an experiment on a server race to create it.
    experiment = cast("Experiment", retried(lambda: mlflow.set_experiment(name)))
    kind = experiment.tags.get(EXPERIMENT_KIND_TAG, "")
    if not kind or kind.endswith("_inferred"):
        client = mlflow.MlflowClient()
        retried(
            lambda: client.set_experiment_tag(
                experiment.experiment_id, EXPERIMENT_KIND_TAG, MODEL_TRAINING_KIND
            )
        )
    return str(experiment.experiment_id)


def experiment_id(name: str) -> str | None:
    """Return the id of an experiment, or None if the store has none of that name."""
    import mlflow

    experiment = mlflow.get_experiment_by_name(name)
    return None if experiment is None else str(experiment.experiment_id)


def artifacts_folder(database: Path) -> Path:
    """Return the artifact folder of a local SQLite store: ``mlartifacts/`` beside it."""
    return database.parent / ARTIFACTS_FOLDER


def _has_schema(database: Path) -> bool:
    """Whether a SQLite file holds MLflow's whole schema: its last migration is stamped.

    A read-only query of a few milliseconds, where opening the store a second time to find
    out (MLflow opens its own) costs a few tenths of a second on every command. A store
    being created by another process is stamped with an earlier migration: locked path.
    """
    if not database.is_file():
        return False
    try:  # a private function of MLflow's: without it, take the locked path
        from mlflow.store.db.utils import _get_latest_schema_revision
    except ImportError:
        return False
    try:
        with closing(sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)) as db:
            stamped = db.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:  # no schema yet: take the locked path
        return False
    return stamped is not None and stamped[0] == _get_latest_schema_revision()


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
    """Return the UI address of one run, in the UI's model-training view."""
    return experiment_url(uri, experiment_id, f"runs/{run_id}")


def experiment_url(uri: str, experiment_id: str, page: str = "runs") -> str:
    """Return the UI address of an experiment's page (its runs table by default)."""
    return f"{ui_url(uri)}/#/experiments/{experiment_id}/{page}?{MODEL_TRAINING_VIEW}"


def ui_command(
    uri: str, port: int = UI_PORT, *, verbose: bool = False
) -> tuple[list[str], dict[str, str]]:
    """Return the ``mlflow ui`` command serving a store on 127.0.0.1, and its environment.

    For a local SQLite store the database and the artifact folder are passed as absolute
    paths, so the UI shows the project's runs whatever the working directory. Unless
    ``verbose``, the server logs no line per request and no known deprecation warning.
    """
    import sys

    command = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri]
    database = sqlite_path(uri)
    if database is not None:
        artifacts = artifacts_folder(database).as_uri()
        command += ["--default-artifact-root", artifacts, "--artifacts-destination", artifacts]
    # One worker is plenty for one person and starts faster than MLflow's default of four.
    command += ["--host", UI_HOST, "--port", str(port), "--workers", "1"]
    environment = dict(os.environ)
    if not verbose:
        command += ["--uvicorn-opts", UI_QUIET_UVICORN]
        # PYTHONWARNINGS reaches the uvicorn process that MLflow starts, where the warning is.
        known = environment.get("PYTHONWARNINGS")
        environment["PYTHONWARNINGS"] = ",".join(filter(None, [known, UI_QUIET_WARNINGS]))
    return command, environment
