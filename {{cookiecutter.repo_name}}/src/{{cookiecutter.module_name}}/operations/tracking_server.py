"""The team's MLflow tracking server, secured (its users: :mod:`..tracking.users`).

``mlflow server`` with MLflow's basic-auth app: runs, models and users in one PostgreSQL
database, artifacts proxied by the server (clients need no storage credentials), every
request authenticated. It is configured with MLflow's own variables, from the environment or
``.env``; there is no default password or secret, and none is ever printed.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ..errors import RefusedError
from ..paths import PROJECT_ROOT
from ..tracking.environment import prepare_environment
from ..tracking.users import MIN_PASSWORD_LENGTH

logger = logging.getLogger(__name__)

SERVER_HOST = "127.0.0.1"
SERVER_PORT = 5000
SERVER_WORKERS = 4  # requests of a handful of people at once
# Each worker opens several connection pools (runs, registry, users...). MLflow's default
# pools (5 + 10 overflow each) would exceed PostgreSQL's default of 100 connections under load
# ("too many clients"): smaller pools make requests wait for a connection instead of failing.
POOL_SETTINGS = {
    "MLFLOW_SQLALCHEMYSTORE_POOL_SIZE": "3",
    "MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW": "3",
}
ADMIN_USERNAME = "admin"
LOGIN_CACHE_SECONDS = 30
ARTIFACTS_FOLDER = PROJECT_ROOT / "mlartifacts-server"

BACKEND_STORE = "MLFLOW_BACKEND_STORE_URI"
ADMIN_PASSWORD = "MLFLOW_AUTH_ADMIN_PASSWORD"
SECRET_KEY = "MLFLOW_FLASK_SERVER_SECRET_KEY"
ARTIFACTS_DESTINATION = "MLFLOW_ARTIFACTS_DESTINATION"


def check_settings(environment: Mapping[str, str]) -> list[str]:
    """Return what is missing or wrong in the server's settings, one sentence each."""
    problems = []
    backend = environment.get(BACKEND_STORE, "").strip()
    if not backend.startswith("postgresql"):
        problems.append(
            f"{BACKEND_STORE} must be the PostgreSQL database of the runs and users, "
            "e.g. postgresql://mlflow:PASSWORD@db-host:5432/mlflow"
            + (" (it is not a postgresql:// URI)" if backend else "")
        )
    if len(environment.get(ADMIN_PASSWORD, "")) < MIN_PASSWORD_LENGTH:
        problems.append(
            f"{ADMIN_PASSWORD} must hold the admin user's password, at least "
            f"{MIN_PASSWORD_LENGTH} characters (MLflow's rule)"
        )
    if not environment.get(SECRET_KEY, "").strip():
        problems.append(
            f"{SECRET_KEY} must hold a random secret that signs the UI's sessions, e.g. the "
            "output of: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    return problems


def server_command(
    auth_config: Path,
    host: str = SERVER_HOST,
    port: int = SERVER_PORT,
    workers: int = SERVER_WORKERS,
) -> tuple[list[str], dict[str, str]]:
    """Return the ``mlflow server`` command and its environment, after checking the settings.

    Args:
        auth_config: Where to write the auth app's settings (a private file: it names the
            database, whose URI may hold a password).
        host: The interface to listen on; 127.0.0.1 keeps the server on this machine.
        port: The port.
        workers: Worker processes serving requests.

    Raises:
        RefusedError: If a setting is missing; the message lists each and how to set it.
    """
    prepare_environment()
    problems = check_settings(os.environ)
    if problems:
        raise RefusedError(
            "The tracking server needs its settings, in the environment or .env (see "
            ".env.example and docs/tracking.md): " + "; ".join(problems)
        )
    backend = os.environ[BACKEND_STORE].strip()
    auth_config.write_text(
        "[mlflow]\n"
        "default_permission = READ\n"  # teammates read everything; writing needs a grant
        f"database_uri = {backend.replace('%', '%%')}\n"
        f"admin_username = {ADMIN_USERNAME}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        # Checking a password costs about 0.1 s of CPU (a slow hash, on purpose), and every
        # request is checked: cache good logins for 30 s per worker. The price: a changed or
        # deleted login keeps working in other workers for up to 30 s.
        f"auth_cache_ttl_seconds = {LOGIN_CACHE_SECONDS}\n",
        encoding="utf-8",
    )
    auth_config.chmod(0o600)
    artifacts = os.environ.get(ARTIFACTS_DESTINATION) or ARTIFACTS_FOLDER.as_uri()
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--app-name", "basic-auth",
        # The database URI (it may hold a password) is read from MLFLOW_BACKEND_STORE_URI by
        # MLflow itself, not passed here: arguments are visible to anyone running `ps`.
        "--artifacts-destination", artifacts,
        "--host", host,
        "--port", str(port),
        "--workers", str(workers),
    ]  # fmt: skip
    environment = {
        **POOL_SETTINGS,  # the team's own pool settings, in the environment, win
        **server_environment(MLFLOW_AUTH_CONFIG_PATH=str(auth_config), **{BACKEND_STORE: backend}),
    }
    return command, environment


def run_server(host: str, port: int, workers: int) -> int:
    """Run the server until it stops; its private settings file is removed afterwards.

    Ctrl-C and SIGTERM reach the server (it runs in this process group and is sent
    SIGTERM), and the exit status is the server's.
    """
    with tempfile.TemporaryDirectory(prefix="mlflow-server-") as folder:
        command, environment = server_command(Path(folder) / "auth.ini", host, port, workers)
        logger.info(
            "Tracking server on http://%s:%d, %d workers (logins required; Ctrl+C to stop)",
            host,
            port,
            workers,
        )
        server = subprocess.Popen(command, env=environment)
        try:
            return server.wait()
        except BaseException:
            server.terminate()
            server.wait()
            raise


def server_environment(**variables: str) -> dict[str, str]:
    """Return this process's environment for a server it starts, with ``variables`` set.

    This interpreter's ``bin`` folder comes first on ``PATH``: MLflow starts ``uvicorn`` and
    ``gunicorn`` by name, and they must be found even when ``.venv`` is not activated.
    """
    bin_folder = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": os.pathsep.join([bin_folder, os.environ.get("PATH", "")]),
        **variables,
    }
