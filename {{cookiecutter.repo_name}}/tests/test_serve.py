"""The REST server command: MLflow's model server, local environment, this machine only."""

import os
import sys
from pathlib import Path

import pytest
from conftest import make_config

from {{ cookiecutter.module_name }}.safety import ALLOW_PICKLE
from {{ cookiecutter.module_name }}.workflows import RefusedError
from {{ cookiecutter.module_name }}.workflows.promote import promote
from {{ cookiecutter.module_name }}.workflows.serve import serve_command
from {{ cookiecutter.module_name }}.workflows.train import train

CONFIG = make_config()


def test_serve_runs_mlflow_models_serve_on_this_machine(tracking_store):
    train(CONFIG)
    promote(CONFIG)

    command, environment = serve_command("models:/dummy-model@champion", trust_pickle=True)

    assert command[:5] == [sys.executable, "-m", "mlflow", "models", "serve"]
    assert command[command.index("--env-manager") + 1] == "local"
    assert command[command.index("--host") + 1] == "127.0.0.1"
    # uvicorn is started by name: the environment's bin folder comes first on PATH.
    assert environment["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert environment["MLFLOW_TRACKING_URI"] == tracking_store
    assert environment[ALLOW_PICKLE] == "true"  # only after the project's own loader agreed


def test_serving_a_missing_champion_is_refused(tracking_store):
    with pytest.raises(RefusedError, match="train and promote"):
        serve_command("models:/nothing-here@champion")
