"""The REST API: one fixed, verified version, in MLflow's scoring server, on this machine."""

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import pandas as pd
import pytest
import uvicorn
from conftest import make_config

from {{ cookiecutter.module_name }}.cli.lifecycle import SERVE_HOST
from {{ cookiecutter.module_name }}.tracking import (
    model_api,
    model_store,
    registry,
)
from {{ cookiecutter.module_name }}.workflows.promote import promote
from {{ cookiecutter.module_name }}.workflows.serve import load_served
from {{ cookiecutter.module_name }}.workflows.train import train

# Whole workflows against a real store: `make test-all`, not the fast `make test`.
pytestmark = pytest.mark.slow

CONFIG = make_config()


@contextmanager
def serving(stored):
    """Serve a loaded model on a free port of 127.0.0.1 in a thread; yield its address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(model_api.scoring_app(stored), host="127.0.0.1", port=port)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def post(url: str, rows: pd.DataFrame) -> tuple[int, dict]:
    payload = {"dataframe_split": rows.to_dict(orient="split", index=False)}
    request = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_the_champion_is_served_like_predict_on_this_machine(tracking_store, dummy_dataset):
    train(CONFIG)
    promote(CONFIG)

    stored = load_served(CONFIG)
    rows = dummy_dataset.features.head(7)

    assert SERVE_HOST == "127.0.0.1"
    assert stored.uri == "models:/dummy-model/1"  # the alias, resolved once
    with serving(stored) as base:
        with urllib.request.urlopen(f"{base}/ping", timeout=30) as response:
            assert response.status == 200
        assert post(f"{base}/invocations", rows) == (
            200,
            {"predictions": stored.model.predict(rows).tolist()},
        )
        status, answer = post(f"{base}/invocations", rows.rename(columns={"x1": "nope"}))
    assert 400 <= status < 500
    assert "message" in answer


def test_an_alias_moved_during_start_up_does_not_change_what_is_served(
    tracking_store, monkeypatch
):
    train(CONFIG)
    promote(CONFIG)
    train(make_config(margin=5.0))  # version 2, a worse model
    download = model_store._download

    def moved_meanwhile(uri, folder):
        registry.set_alias("dummy-model", registry.CHAMPION_ALIAS, "2")  # after resolving
        return download(uri, folder)

    monkeypatch.setattr(model_store, "_download", moved_meanwhile)
    stored = load_served(CONFIG)

    assert stored.uri == "models:/dummy-model/1"
    assert stored.version == "1"
    assert str(registry.version_by_alias("dummy-model", registry.CHAMPION_ALIAS).version) == "2"


def test_serving_a_missing_champion_is_refused(tracking_store):
    with pytest.raises(model_store.MissingModelError, match="train and promote"):
        load_served(CONFIG)
