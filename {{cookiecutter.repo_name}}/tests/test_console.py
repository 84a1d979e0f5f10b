"""The console: a command prints its own lines; -v brings the libraries' lines back."""

import os
import subprocess
import sys

import pytest
from conftest import write_config

from {{ cookiecutter.module_name }} import cli
from {{ cookiecutter.module_name }}.paths import PROJECT_ROOT
from {{ cookiecutter.module_name }}.tracking import store

# Whole workflows against a real store: `make test-all`, not the fast `make test`.
pytestmark = pytest.mark.slow

LIBRARY_LINES = ("INFO mlflow", "Successfully registered", "Created version", "Trusting")


def test_train_prints_only_its_own_lines(tracking_store, isolated_tracking):
    """The example experiment, as `make train` runs it."""
    environment = {**os.environ, "MLFLOW_TRACKING_URI": store.sqlite_uri(isolated_tracking)}
    environment.pop("MLFLOW_LOGGING_LEVEL", None)
    result = subprocess.run(
        [sys.executable, "-m", cli.__name__.rpartition(".")[0], "train"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=environment,
        check=True,
        timeout=300,
    )
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("[1/6]")
    assert [line for line in lines if any(text in line for text in LIBRARY_LINES)] == []


def test_verbose_shows_the_library_lines(
    tracking_store, dummy_config, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("MLFLOW_LOGGING_LEVEL", "WARNING")  # restored after the test
    config = str(write_config(tmp_path, dummy_config))

    assert cli.main(["train", config]) == 0
    quiet = capsys.readouterr()
    assert "CloudPickle" not in quiet.out + quiet.err  # the dummy model is pickled
    assert "Created version" not in quiet.err

    assert cli.main(["train", config, "-v"]) == 0
    verbose = capsys.readouterr()
    assert "CloudPickle" in verbose.err
    assert "Created version '2'" in verbose.err


def test_the_ui_logs_no_requests_unless_verbose(isolated_tracking):
    uri = store.sqlite_uri(isolated_tracking)
    quiet, quiet_environment = store.ui_command(uri)
    verbose, verbose_environment = store.ui_command(uri, verbose=True)

    assert store.UI_QUIET_UVICORN in quiet
    assert store.UI_QUIET_WARNINGS in quiet_environment["PYTHONWARNINGS"]
    assert store.UI_QUIET_UVICORN not in verbose
    assert verbose_environment.get("PYTHONWARNINGS") == os.environ.get("PYTHONWARNINGS")


def test_verbose_is_accepted_before_or_after_the_command():
    parser = cli.build_parser()
    assert parser.parse_args(["-v", "train"]).verbose
    assert parser.parse_args(["train", "-v"]).verbose
    assert not parser.parse_args(["train"]).verbose
