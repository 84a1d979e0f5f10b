"""The tracking server's users: who may read and write, added through MLflow's auth client.

Everything is checked before a user is created (the experiment and the model exist, the
user does not), so a refusal leaves nothing half made; the server's own error texts, which
can hold its SQL and password hashes, are never shown.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..errors import RefusedError

MIN_PASSWORD_LENGTH = 12  # MLflow's own password policy
PERMISSIONS = ("READ", "EDIT", "MANAGE", "NO_PERMISSIONS")


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

    with warnings.catch_warnings():  # MLflow's server app, imported with the client, warns
        warnings.filterwarnings("ignore", "starlette.middleware.wsgi is deprecated")
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
