"""What must be settled before MLflow is first imported, and the switches it reads later.

MLflow reads some environment variables when it is imported (its log level) and others when
it acts (whether it may unpickle, how long an HTTP request may take): every command calls
:func:`prepare_environment` first, through :func:`.store.configure`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..paths import PROJECT_ROOT

MLFLOW_LOGGING_LEVEL = "MLFLOW_LOGGING_LEVEL"  # read by MLflow when it is imported
ALLOW_PICKLE = "MLFLOW_ALLOW_PICKLE_DESERIALIZATION"
# MLflow retries a request to a tracking server for minutes, silently; the project retries
# instead, saying so (see .retries), so MLflow's own attempts are kept short.
HTTP_SETTINGS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "30"}


def prepare_environment(root: Path = PROJECT_ROOT) -> None:
    """Read ``.env`` at the project root and apply the project's MLflow defaults.

    Call it before ``mlflow`` is first imported: MLflow reads some variables at import.
    Variables already set in the environment win over ``.env``. Telemetry to the MLflow
    maintainers is off unless ``MLFLOW_DISABLE_TELEMETRY=false`` is set, MLflow may not
    unpickle models unless ``MLFLOW_ALLOW_PICKLE_DESERIALIZATION=true`` is set, MLflow logs
    only warnings and errors unless ``MLFLOW_LOGGING_LEVEL=INFO`` is set (the command line's
    ``-v`` sets it), and a request to a tracking server is not retried by MLflow itself.
    """
    from dotenv import load_dotenv

    load_dotenv(root / ".env", override=False)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    # MLflow's INFO lines (store creation, uv detection...) repeat what the commands print,
    # and its progress bars for small artifacts (a run's config) only add noise.
    os.environ.setdefault(MLFLOW_LOGGING_LEVEL, "WARNING")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    # MLflow's loaders unpickle whatever a model holds: refused, as the project verifies and
    # reads models itself (see .model_store). MLflow's own default is to allow it.
    os.environ.setdefault(ALLOW_PICKLE, "false")
    for name, value in HTTP_SETTINGS.items():
        os.environ.setdefault(name, value)


@contextmanager
def allowed_pickle() -> Iterator[None]:
    """Let MLflow unpickle inside the block: only around models verified or just written."""
    previous = os.environ.get(ALLOW_PICKLE)
    os.environ[ALLOW_PICKLE] = "true"
    try:
        yield
    finally:
        if previous is None:
            del os.environ[ALLOW_PICKLE]
        else:
            os.environ[ALLOW_PICKLE] = previous


@contextmanager
def quiet_dataset_warnings() -> Iterator[None]:
    """Silence two MLflow warnings about datasets that do not apply to this project's records.

    MLflow registers its local-file source twice and warns that a path is ambiguous, and it
    hints that integer columns cannot hold missing values (true, and irrelevant to a label).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The specified dataset source", UserWarning)
        warnings.filterwarnings("ignore", "Hint: Inferred schema contains integer", UserWarning)
        yield
