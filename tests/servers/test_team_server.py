"""The team's tracking server, for real: PostgreSQL, logins, permissions, load.

Slow: starts `make server` of an installed uv project on 127.0.0.1 against a fresh local
PostgreSQL database per test (dropped afterwards), and talks to it over HTTP and through the
project's own commands.
"""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from testkit.baking import BakedProject, user_environment
from testkit.running import (
    STORE_QUERY,
    background,
    free_port,
    postgres_database,
    run_id_of,
    wait_for_port,
)

EXPERIMENT, MODEL = "breast-cancer", "breast-cancer-classifier"
CLASSIFICATION_METRICS = {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"}
CLIENTS = 32


def login(username: str, password: str) -> dict[str, str]:
    """The variables a client of the server authenticates with."""
    return {"MLFLOW_TRACKING_USERNAME": username, "MLFLOW_TRACKING_PASSWORD": password}


class Server:
    """A running `make server`: its address and its admin's login."""

    def __init__(self, url: str, admin_password: str) -> None:
        self.url = url
        self.admin = {
            "MLFLOW_TRACKING_USERNAME": "admin",
            "MLFLOW_TRACKING_PASSWORD": admin_password,
        }

    def client(self, **login: str) -> dict[str, str]:
        """The environment of a client of this server, with a login (the admin's by default)."""
        return user_environment(MLFLOW_TRACKING_URI=self.url, **(login or self.admin))


@contextmanager
def team_server(project: BakedProject, tmp_path: Path, workers: int = 2) -> Iterator[Server]:
    """`make server` on a fresh database, with a fresh admin password and secret key."""
    password = secrets.token_urlsafe(18)
    settings = {
        "MLFLOW_AUTH_ADMIN_PASSWORD": password,
        "MLFLOW_FLASK_SERVER_SECRET_KEY": secrets.token_hex(32),
        "MLFLOW_ARTIFACTS_DESTINATION": str(tmp_path / "server-artifacts"),
    }
    port = free_port()
    log = tmp_path / f"server-{port}.log"
    with postgres_database() as database:
        command = ["make", "server", f"ARGS=--port {port} --workers {workers}"]
        environment = user_environment(MLFLOW_BACKEND_STORE_URI=database, **settings)
        with background(command, log, cwd=project.path, env=environment) as server:
            wait_for_port(port, process=server, log=log)
            yield Server(f"http://127.0.0.1:{port}", password)
    assert password not in log.read_text(), "the server printed the admin password"


def status_of(url: str, login: tuple[str, str] | None = None) -> int:
    request = urllib.request.Request(url)
    if login:
        token = base64.b64encode(":".join(login).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def cli(project: BakedProject, *args: str, env: dict[str, str], stdin: str | None = None):
    return subprocess.run(
        [str(project.python), "-m", project.module_name, *args],
        cwd=project.path,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture
def project(installed_project) -> BakedProject:
    baked = installed_project("uv")
    assert not (baked.path / ".env").exists()
    return baked


def test_the_server_refuses_to_start_without_its_settings(project):
    result = cli(project, "server", env=user_environment())
    assert result.returncode == 2
    for variable in (
        "MLFLOW_BACKEND_STORE_URI",
        "MLFLOW_AUTH_ADMIN_PASSWORD",
        "MLFLOW_FLASK_SERVER_SECRET_KEY",
    ):
        assert variable in result.stderr
    assert "Traceback" not in result.stderr
    short = user_environment(
        MLFLOW_BACKEND_STORE_URI="postgresql://x@127.0.0.1/db",
        MLFLOW_AUTH_ADMIN_PASSWORD="too-short",
        MLFLOW_FLASK_SERVER_SECRET_KEY="s",
    )
    result = cli(project, "server", env=short)
    assert result.returncode == 2
    assert "at least 12 characters" in result.stderr
    assert "too-short" not in result.stderr + result.stdout


def test_logins_permissions_and_a_training_through_the_server(project, tmp_path):
    with team_server(project, tmp_path) as server:
        # Anonymous requests, REST and UI, are refused.
        assert status_of(f"{server.url}/api/2.0/mlflow/experiments/search?max_results=5") == 401
        assert status_of(f"{server.url}/") == 401

        # The admin trains through the project's `make train`, logins from .env.
        env_file = project.path / ".env"
        env_file.write_text(
            f"MLFLOW_TRACKING_URI={server.url}\nMLFLOW_TRACKING_USERNAME=admin\n"
            f"MLFLOW_TRACKING_PASSWORD={server.admin['MLFLOW_TRACKING_PASSWORD']}\n"
        )
        try:
            run_id = run_id_of(project.make("train").stdout)
        finally:
            env_file.unlink()
        run = next(r for r in read_store_as(project, server)["runs"] if r["run_id"] == run_id)
        assert run["status"] == "FINISHED"
        assert run["metrics"].keys() >= CLASSIFICATION_METRICS
        assert any("model" in path or "figures" in path for path in run["artifacts"])

        # Teammates are added through the server's own user API.
        reader_password, writer_password = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        for name, permission, password in (
            ("alice", "READ", reader_password),
            ("bob", "EDIT", writer_password),
        ):
            added = cli(
                project,
                "add-user", name, "--permission", permission,
                "--experiment", EXPERIMENT, "--registered-model", MODEL,
                env=server.client(),
                stdin=f"{password}\n",
            )  # fmt: skip
            assert added.returncode == 0, added.stderr
        alice, bob = login("alice", reader_password), login("bob", writer_password)

        # Refusals change nothing and show none of the server's answer (its SQL, hashes).
        other = secrets.token_urlsafe(16)
        refusals = {
            "already exists": (["alice", "--experiment", EXPERIMENT], server.client()),
            "No experiment 'nope'": (["carol", "--experiment", "nope"], server.client()),
            "No registered model 'nope'": (
                ["carol", "--registered-model", "nope"],
                server.client(),
            ),
            "Only an admin": (["dave"], server.client(**alice)),
        }
        for words, (arguments, env) in refusals.items():
            refused = cli(project, "add-user", *arguments, env=env, stdin=f"{other}\n")
            said = refused.stdout + refused.stderr
            assert refused.returncode == 2, said
            assert words in refused.stderr, said
            assert len(refused.stderr.strip().splitlines()) == 1, said
            for leak in ("INSERT", "UPDATE", "pbkdf2", "scrypt", "password_hash", "Traceback"):
                assert leak not in said
        for name in ("carol", "dave"):  # never created
            assert (
                status_of(f"{server.url}/api/2.0/mlflow/experiments/search", (name, other)) == 401
            )

        # Alice may read, not write; Bob may write.
        search = (
            f"{server.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name={EXPERIMENT}"
        )
        assert status_of(search, ("alice", reader_password)) == 200
        denied = cli(project, "train", env=server.client(**alice))
        assert denied.returncode == 2, denied.stdout + denied.stderr
        assert "403" in denied.stderr
        assert "Traceback" not in denied.stderr
        allowed = cli(project, "train", env=server.client(**bob))
        assert allowed.returncode == 0, allowed.stdout[-2000:] + allowed.stderr[-2000:]

        # A wrong password: one clear line, no traceback.
        wrong = cli(
            project,
            "train",
            env=server.client(**login("bob", "not-the-password")),
        )
        assert wrong.returncode == 2
        assert "refused the credentials" in wrong.stderr
        assert "Traceback" not in wrong.stderr


def read_store_as(project: BakedProject, server: Server) -> dict:
    result = subprocess.run(
        [str(project.python), str(STORE_QUERY), server.url],
        env=server.client(),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("attempt", [1, 2])
def test_concurrent_trainings_lose_nothing(project, tmp_path, attempt):
    """32 real trainings at once on a fresh database: every run and version is whole."""
    with team_server(project, tmp_path, workers=4) as server:
        started = time.monotonic()
        trainings = [
            subprocess.Popen(
                [str(project.python), "-m", project.module_name, "train"],
                cwd=project.path,
                env=server.client(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(CLIENTS)
        ]
        outputs = [training.communicate(timeout=1200)[0] for training in trainings]
        failed = [out[-2000:] for t, out in zip(trainings, outputs, strict=True) if t.returncode]
        assert not failed, failed[0]
        twins = sum("a duplicate start" in output for output in outputs)
        print(f"{CLIENTS} trainings in {time.monotonic() - started:.0f} s, {twins} twins deleted")

        store = read_store_as(project, server)
        runs = {run["run_id"]: run for run in store["runs"] if run["tags"]["run_type"] == "train"}
        assert set(runs) == {run_id_of(output) for output in outputs}  # none lost
        for run in runs.values():
            assert run["status"] == "FINISHED"
            assert run["metrics"].keys() >= CLASSIFICATION_METRICS
            assert {i["tags"]["mlflow.data.context"] for i in run["inputs"]} == {
                "training",
                "evaluation",
            }
            assert run["model_outputs"]
            assert any(path.startswith("figures/") for path in run["artifacts"])
        (model,) = store["registered_models"]
        version_runs = [version["run_id"] for version in model["versions"]]
        assert sorted(version_runs) == sorted(runs)  # one version per run: none duplicated
        versions = {version["version"] for version in model["versions"]}
        assert model["aliases"]["candidate"] in versions  # the alias points at a whole one
