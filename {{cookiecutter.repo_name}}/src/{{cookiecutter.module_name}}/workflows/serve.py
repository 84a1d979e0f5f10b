"""Serve: a REST API of one fixed, verified model version, with MLflow's scoring server.

The alias (``champion`` by default) is resolved once, to a fixed version; that version is
verified and loaded by the project's loader, and served by MLflow's own scoring server app
in this process (uvicorn): ``GET /ping`` answers once the model is loaded, ``POST
/invocations`` takes rows as JSON (``{"dataframe_split": {"columns": [...], "data":
[[...]]}}``) and returns predictions. Moving the alias later does not change what a running
server serves, and no pickle is ever enabled: the server reads only what was verified.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..tracking import model_api, model_store, registry, store
from . import steps

if TYPE_CHECKING:
    from ..config import ExperimentConfig
    from ..tracking.model_store import StoredModel

logger = logging.getLogger(__name__)


def load_served(config: ExperimentConfig, model_uri: str | None = None) -> StoredModel:
    """Resolve the model to serve once, to a fixed version, and load it verified.

    Args:
        config: Names the registered model (default model: its ``champion``).
        model_uri: Another model to serve, e.g. ``models:/name/3``.

    Raises:
        MissingModelError: The model, version or alias does not exist.
        UntrustedModelError: It is not signed by a trusted signer (nor trusted by the user).
    """
    if model_uri is None:
        model_uri = registry.alias_uri(steps.registered_name(config), registry.CHAMPION_ALIAS)
    store.configure()
    return model_store.load(model_uri, trust_unsigned=config.trust_pickle)


def serve(stored: StoredModel, host: str, port: int) -> None:
    """Serve a loaded model until the process is stopped (Ctrl-C, SIGTERM)."""
    import uvicorn

    app = model_api.scoring_app(stored)
    uvicorn.run(app, host=host, port=port, log_level="info")
