"""The team server's command: refuses without settings, keeps secrets out of sight."""

import stat

import pytest

from {{ cookiecutter.module_name }}.operations import tracking_server as server
from {{ cookiecutter.module_name }}.operations.tracking_server import (
    check_settings,
    server_command,
)
from {{ cookiecutter.module_name }}.workflows import RefusedError

SETTINGS = {
    "MLFLOW_BACKEND_STORE_URI": "postgresql://mlflow:db-secret@127.0.0.1:5432/mlflow",
    "MLFLOW_AUTH_ADMIN_PASSWORD": "a-long-admin-password",
    "MLFLOW_FLASK_SERVER_SECRET_KEY": "0123456789abcdef",
}


def test_each_missing_setting_is_named():
    problems = check_settings({})
    assert len(problems) == 3
    assert "MLFLOW_BACKEND_STORE_URI" in problems[0]
    assert "at least 12 characters" in problems[1]
    assert "MLFLOW_FLASK_SERVER_SECRET_KEY" in problems[2]
    assert check_settings({**SETTINGS, "MLFLOW_BACKEND_STORE_URI": "sqlite:///x.db"})
    assert check_settings(SETTINGS) == []


def test_the_server_listens_on_this_machine_and_never_shows_a_secret(tmp_path, monkeypatch):
    for name, value in SETTINGS.items():
        monkeypatch.setenv(name, value)
    auth_config = tmp_path / "auth.ini"

    command, environment = server_command(auth_config)

    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--app-name") + 1] == "basic-auth"
    for secret in ("db-secret", SETTINGS["MLFLOW_AUTH_ADMIN_PASSWORD"], "0123456789abcdef"):
        assert not any(secret in argument for argument in command)  # `ps` shows arguments
    for secret in (SETTINGS["MLFLOW_AUTH_ADMIN_PASSWORD"], "0123456789abcdef"):
        assert secret not in auth_config.read_text()
    # The user store lives in the same PostgreSQL database, in a file only we can read.
    assert "database_uri = postgresql://mlflow:db-secret@" in auth_config.read_text()
    assert stat.S_IMODE(auth_config.stat().st_mode) == 0o600
    assert "auth_cache_ttl_seconds = 30" in auth_config.read_text()  # logins checked once
    assert environment["MLFLOW_AUTH_CONFIG_PATH"] == str(auth_config)
    # Small connection pools: 4 workers under load stay within PostgreSQL's 100 connections.
    assert int(environment["MLFLOW_SQLALCHEMYSTORE_POOL_SIZE"]) <= 5


def test_a_missing_setting_stops_the_server_before_it_starts(tmp_path, monkeypatch):
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(server, "prepare_environment", lambda: None)  # no .env either
    with pytest.raises(RefusedError, match="MLFLOW_AUTH_ADMIN_PASSWORD"):
        server_command(tmp_path / "auth.ini")
    assert not (tmp_path / "auth.ini").exists()
