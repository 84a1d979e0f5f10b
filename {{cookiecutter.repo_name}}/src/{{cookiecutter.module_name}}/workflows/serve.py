"""Serve: a REST API of a registered model, with MLflow's own model server.

``mlflow models serve`` with the local environment (no conda or virtualenv is built):
``GET /ping`` answers when the model is loaded, ``POST /invocations`` takes rows as JSON
(``{"dataframe_split": {"columns": [...], "data": [[...]]}}``) and returns predictions.
"""

from __future__ import annotations

import sys

from ..safety import ALLOW_PICKLE
from ..tracking import registry, store
from . import RefusedError
from .launching import server_environment

SERVE_HOST = "127.0.0.1"
SERVE_PORT = 5001  # next to the MLflow UI's 5000, so both can run at once


def serve_command(
    model_uri: str,
    host: str = SERVE_HOST,
    port: int = SERVE_PORT,
    *,
    trust_pickle: bool = False,
) -> tuple[list[str], dict[str, str]]:
    """Return the ``mlflow models serve`` command and the environment to run it in.

    The model is loaded here first, with the project's safe loader: a model it would refuse
    (a pickle without ``trust_pickle``, a skops file with foreign types) is never handed to
    the server. The environment puts this interpreter's ``bin`` folder first on ``PATH``
    (MLflow starts ``uvicorn`` by name, so it must be found even when ``.venv`` is not
    activated) and names the project's store, where ``models:/`` URIs are resolved.

    Raises:
        RefusedError: If the model does not exist.
        UntrustedModelError: If loading it would run code of unknown origin.
    """
    uri = store.configure()
    if model_uri.startswith("models:/") and registry.resolve_version(model_uri) is None:
        raise RefusedError(
            f"{model_uri} does not exist in {uri}: train and promote a model first "
            "(`make train`, `make promote`), or pass --model-uri"
        )
    from ..models import load_model

    load_model(model_uri, trust_pickle=trust_pickle)  # raises on what it would not load
    command = [
        sys.executable, "-m", "mlflow", "models", "serve",
        "--model-uri", model_uri,
        "--env-manager", "local",
        "--host", host,
        "--port", str(port),
    ]  # fmt: skip
    # MLflow refuses to load even skops models while pickles are refused; the check above ran.
    environment = server_environment(MLFLOW_TRACKING_URI=uri, **{ALLOW_PICKLE: "true"})
    return command, environment
