"""Server: the team's MLflow tracking server, secured, and its users.

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
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from ..paths import PROJECT_ROOT
from ..tracking.environment import prepare_environment
from . import RefusedError
from .launching import server_environment

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
MIN_PASSWORD_LENGTH = 12  # MLflow's own password policy
ARTIFACTS_FOLDER = PROJECT_ROOT / "mlartifacts-server"
PERMISSIONS = ("READ", "EDIT", "MANAGE", "NO_PERMISSIONS")

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


def add_user(
    tracking_uri: str,
    username: str,
    password: str,
    experiment: str | None = None,
    registered_model: str | None = None,
    permission: str = "READ",
) -> None:
    """Create a user on the tracking server and grant a permission on an experiment and model.

    Logging runs needs EDIT on the experiment; registering versions needs EDIT on the
    registered model too. The caller authenticates as an admin through
    ``MLFLOW_TRACKING_USERNAME`` and ``MLFLOW_TRACKING_PASSWORD``, as every client does.
    Everything is checked before the user is created (the experiment and the model exist,
    the user does not), so a refusal leaves nothing half made; the server's own error texts,
    which can hold its SQL and password hashes, are never shown.

    Raises:
        RefusedError: A bad permission or password, an unknown experiment or model, an
            existing user, or a caller who is not an admin.
    """
    if permission not in PERMISSIONS:
        raise RefusedError(f"Unknown permission {permission!r}: use one of {PERMISSIONS}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RefusedError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters")
    import mlflow
    from mlflow.server.auth.client import AuthServiceClient

    client = AuthServiceClient(tracking_uri)
    tracking = mlflow.MlflowClient(tracking_uri)
    with _as_admin(tracking_uri):
        if _exists(lambda: client.get_user(username)):
            raise RefusedError(
                f"User {username!r} already exists on {tracking_uri}: nothing was changed "
                "(grant more with the server's permissions API, see docs/tracking.md)"
            )
        found = None
        if experiment is not None:
            found = tracking.get_experiment_by_name(experiment)
            if found is None:
                raise RefusedError(
                    f"No experiment {experiment!r} on {tracking_uri}: the user was not created"
                )
        if registered_model is not None and not _exists(
            lambda: tracking.get_registered_model(registered_model)
        ):
            raise RefusedError(
                f"No registered model {registered_model!r} on {tracking_uri}: the user was not "
                "created (train once first, so that it exists)"
            )
        client.create_user(username, password)
        if found is not None:
            client.grant_user_permission(username, "experiment", found.experiment_id, permission)
        if registered_model is not None:
            client.grant_user_permission(
                username, "registered_model", registered_model, permission
            )


def _exists(lookup: Callable[[], object]) -> bool:
    """Whether a lookup on the server finds what it looks for (a 404 says it does not)."""
    from mlflow.exceptions import MlflowException, RestException

    try:
        lookup()
    except (MlflowException, RestException) as error:
        if getattr(error, "get_http_status_code", lambda: None)() == 404 or (
            "RESOURCE_DOES_NOT_EXIST" in str(error)
        ):
            return False
        raise
    return True


@contextmanager
def _as_admin(tracking_uri: str) -> Iterator[None]:
    """Turn the server's refusals into one line that shows none of what the server said."""
    from mlflow.exceptions import MlflowException, RestException

    try:
        yield
    except (MlflowException, RestException) as error:
        status = getattr(error, "get_http_status_code", lambda: None)()
        if status in (401, 403) or "PERMISSION_DENIED" in str(error):
            raise RefusedError(
                f"Only an admin of {tracking_uri} can add users: set MLFLOW_TRACKING_USERNAME "
                "and MLFLOW_TRACKING_PASSWORD to an admin's login"
            ) from None
        raise RefusedError(
            f"The tracking server refused to add the user (HTTP {status or 'error'}); its "
            "log says why (its answer is not shown: it can hold the server's SQL)"
        ) from None
