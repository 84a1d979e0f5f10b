"""Run generated projects' commands and servers, and read their MLflow store, for the tests."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from testkit.baking import BakedProject

STORE_QUERY = Path(__file__).with_name("store_query.py")
RUN_FINISHED = re.compile(r"Run ([0-9a-f]{32}) finished")


def store_uri(project: BakedProject) -> str:
    return f"sqlite:///{project.path / 'mlflow.db'}"


def read_store(project: BakedProject, uri: str | None = None) -> dict:
    result = project.run(str(project.python), str(STORE_QUERY), uri or store_uri(project))
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_id_of(output: str) -> str:
    match = RUN_FINISHED.search(output)
    assert match, f"no 'Run <id> finished' line in:\n{output[-3000:]}"
    return match.group(1)


def run_by_id(store: dict, run_id: str) -> dict:
    (run,) = [run for run in store["runs"] if run["run_id"] == run_id]
    return run


def wait_for_port(
    port: int, process: subprocess.Popen | None = None, log: Path | None = None
) -> None:
    """Wait until something listens on ``port``; fail early, with its log, if ``process`` dies."""
    seconds = 180
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            output = log.read_text()[-3000:] if log else ""
            pytest.fail(f"the server exited with status {process.returncode}:\n{output}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"nothing listened on 127.0.0.1:{port} within {seconds} s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database on 127.0.0.1:5432, dropped afterwards; yields its URI."""
    if not shutil.which("psql"):
        pytest.skip("PostgreSQL's psql is not installed on this machine")
    name = f"mlflow_{uuid.uuid4().hex[:12]}"
    admin = ["psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d", "postgres", "-c"]
    created = subprocess.run([*admin, f"CREATE DATABASE {name}"], capture_output=True, check=False)
    if created.returncode != 0:
        pytest.skip(f"no PostgreSQL server on 127.0.0.1:5432: {created.stderr.decode()[-300:]}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        subprocess.run([*admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False)


@contextmanager
def background(command: list[str], log: Path, **popen: object) -> Iterator[subprocess.Popen]:
    """Run a server in its own process group, logging to ``log``; stop the whole group after."""
    with log.open("w") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True, **popen
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
