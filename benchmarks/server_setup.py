"""The tracking server benchmark's fixtures: the server process, PostgreSQL, its connections."""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

POSTGRES = ["psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d", "postgres"]
SERVER_START_TIMEOUT = 300  # seconds; four workers importing MLflow on two busy cores is slow
WORKERS = 4


class Server:
    """The project's tracking server, in its own process group, with its log in a file."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("w", encoding="utf-8") as output:
            self.process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # stopped with its workers, as one group
            )

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            sys.exit(
                f"the server exited with status {self.process.returncode}:\n"
                f"{self.log_text()[-3000:]}"
            )

    def stop(self) -> None:
        """SIGTERM to the whole group, then SIGKILL to whatever is left after 30 s."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)  # any worker of the group still alive?
            except ProcessLookupError:
                break
            time.sleep(0.5)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def answers(url: str, username: str, password: str) -> bool:
    """Whether the server answers an authenticated API call with 200."""
    headers = {}
    if username:
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    request = urllib.request.Request(url, headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_until_ready(server: Server, uri: str, admin_password: str) -> tuple[float, float]:
    """Wait for an authenticated answer, then for every worker; return both delays."""
    started = time.monotonic()
    deadline = started + SERVER_START_TIMEOUT
    url = f"{uri}/api/2.0/mlflow/experiments/search?max_results=1"
    while not answers(url, "admin", admin_password):
        server.check_alive()
        if time.monotonic() > deadline:
            sys.exit(f"the server did not answer within {SERVER_START_TIMEOUT} s")
        time.sleep(0.5)
    answered = time.monotonic() - started
    # uvicorn serves as soon as one worker is up: the others, still importing MLflow, would
    # take CPU from the first round.
    while server.log_text().count("Application startup complete") < WORKERS:
        server.check_alive()
        if time.monotonic() > deadline:
            print(f"    warning: not all {WORKERS} workers reported startup", flush=True)
            break
        time.sleep(0.5)
    return answered, time.monotonic() - started


def request_seconds(uri: str, admin_password: str, times: int = 5) -> tuple[float, float]:
    """Median seconds of an authenticated API call and of the unauthenticated /health."""
    calls = {
        f"{uri}/api/2.0/mlflow/experiments/get?experiment_id=0": ("admin", admin_password),
        f"{uri}/health": ("", ""),
    }
    medians = []
    for url, (username, password) in calls.items():
        samples = []
        for _ in range(times):
            started = time.perf_counter()
            if not answers(url, username, password):
                sys.exit(f"the server did not answer {url.removeprefix(uri)}")
            samples.append(time.perf_counter() - started)
        medians.append(statistics.median(samples))
    return medians[0], medians[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres(sql: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*POSTGRES, "-c", sql], capture_output=True, text=True, check=False)


class ConnectionSampler:
    """Count PostgreSQL connections once a second, in a thread, until stopped."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.peak_ours = self.peak_all = 0
        limit = postgres("SHOW max_connections").stdout.split()
        self.limit = next((word for word in limit if word.isdigit()), "?")
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        query = (
            f"SELECT count(*) FILTER (WHERE datname = '{self.database}'), count(*) "
            "FROM pg_stat_activity WHERE backend_type = 'client backend'"
        )
        while not self.stopped.wait(1.0):
            done = subprocess.run(
                [*POSTGRES, "-Atc", query], capture_output=True, text=True, check=False
            )
            if done.returncode == 0 and "|" in done.stdout:
                ours, everyone = (int(value) for value in done.stdout.strip().split("|"))
                self.peak_ours = max(self.peak_ours, ours)
                self.peak_all = max(self.peak_all, everyone)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)


def keep_logs_on_failure(logs: Path, outcome: dict[str, bool]) -> None:
    """Copy the server's and clients' logs out of the temporary folder if anything failed."""
    if outcome["ok"]:
        return
    kept = Path(tempfile.mkdtemp(prefix="bench_server-logs-"))
    shutil.copytree(logs, kept, dirs_exist_ok=True)
    print(f"Logs of the server and the clients kept in {kept}")


def drop_database(name: str) -> None:
    dropped = postgres(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    if dropped.returncode != 0:
        print(f"warning: could not drop database {name}: {dropped.stderr.strip()}")
