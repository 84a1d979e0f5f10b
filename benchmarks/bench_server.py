"""Tracking server benchmark: ``.venv/bin/python benchmarks/bench_server.py [--runs N]``.

Run it from the repository root once ``python3 run_tests.py -m "not slow"`` has created
``.venv``, on a machine with PostgreSQL on 127.0.0.1:5432 (trust authentication for the
``postgres`` user, as in the tests). It bakes a default (uv) project in a temporary folder,
runs ``make install`` and installs the ``server`` extra as ``make server`` would
(``uv sync --extra server``), creates a fresh PostgreSQL database and starts the project's
own secured server on a free port: ``python -m <module> server --workers 4``, with a
generated admin password and secret key in its environment (never printed).

As admin it creates one experiment per round (so the clients never race to create it; a
fresh experiment each round, so the 32 clients really race to insert the same dataset rows)
and, through the project's ``add-user`` command (password on standard input), a user with
EDIT permission, who then logs every run, as a teammate would.

A client is one process running the project's python (the hidden ``--inner client``
option). The 32 are started once, before the rounds (importing MLflow, pandas and
scikit-learn costs several CPU seconds each), and prepare, untimed, what a training process
has before it logs: the default breast-cancer config, its held-out split, the two MLflow
dataset descriptions, and the metrics of scores from a rule (no fitting). Before each round
a client opens the round's experiment through the project's own code
(``steps.open_experiment`` with the config's experiment overridden), then waits for the
start signal, and logs ``--runs-per-client`` runs (default 1) one after the other, each the
way a training run records itself through ``tracking.recording``: ``tracked_run(...,
"train")``, ``log_config``, ``log_inputs`` of the training and held-out rows (the same rows
for every client), ``log_evaluation`` (six metrics linked to the held-out rows, plus the
per-row predictions CSV) and ``log_report`` (a small JSON artifact). No model is fitted or
logged: this measures the server, not scikit-learn. Each run's latency is the wall time of
its ``tracked_run`` block, start to end; the client reports them as JSON on stdout.

Scenario A: 1 client; scenario B: 32 clients released at once (each answers "ready", then
all get "go"; the table shows how far apart their first runs started). For each round:
runs, wall seconds from the first run's start to the last run's end, runs per second, p50
and p95 run latency. ``--runs`` rounds of each (default 3, alternating A B A B after an
untimed one-client warm-up round), medians printed with the ratios B/A of throughput and
of latency. Then a check through ``MlflowClient`` as admin that every run of every client
is on the server, FINISHED, with its metrics and both inputs ("lost: 0, failed: 0" or the
truth, with each error's message and place), and the HTTP answers and tracebacks in the
server's log during the rounds.

Every API call to the basic-auth server checks the password against its scrypt hash (about
0.13 s of CPU here; MLflow's ``auth_cache_ttl_seconds`` is off by default) and a run takes
about 14 calls: on 2 cores, shared by the 32 clients, the 4 server workers and PostgreSQL,
the server logs well under one run per second. Hence one run per client by default (about
8 minutes on a quiet 2-core machine; ``--runs-per-client 5`` for longer rounds), and
scenario B measures that machine, not a server with cores of its own. The script prints the
load average (other work on the machine shows in the numbers) and the peak number of
PostgreSQL connections. If anything failed, the server's and clients' logs are copied out
of the temporary folder. The server is stopped and the database dropped at the end, even
on failure.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import importlib
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TextIO

CLIENTS = 32
RUNS_PER_CLIENT = 1  # 32 clients x 3 rounds fit in ~10 minutes (see the docstring)
WORKERS = 4
USER = "bench-client"
ROUND_TAG = "bench.round"
EXPERIMENT_PREFIX = "server-bench"
POSTGRES = ["psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d", "postgres"]
SERVER_START_TIMEOUT = 300  # seconds; four workers importing MLflow on two busy cores is slow
CLIENT_TIMEOUT = 600
HTTP_STATUS = re.compile(r'HTTP/1\.[01]" (\d{3})')


# --- Outer script: runs under the template's .venv, standard library only. ---------------


@dataclass
class Round:
    """One round of one scenario: its experiment, and what its clients reported."""

    scenario: str
    clients: int
    number: int  # 0: the warm-up
    experiment: str
    reports: list[dict[str, Any]] = field(default_factory=list)
    client_failures: list[str] = field(default_factory=list)
    server_lines: list[str] = field(default_factory=list)

    @property
    def runs(self) -> list[dict[str, Any]]:
        return [run for report in self.reports for run in report["runs"]]

    @property
    def ok_runs(self) -> list[dict[str, Any]]:
        return [run for run in self.runs if "error" not in run]

    @property
    def wall(self) -> float:
        runs = self.runs
        return max(run["end"] for run in runs) - min(run["start"] for run in runs)

    @property
    def throughput(self) -> float:
        return len(self.ok_runs) / self.wall

    def latency(self, percent: int) -> float:
        samples = sorted(run["seconds"] for run in self.ok_runs)
        if len(samples) == 1:
            return samples[0]
        return statistics.quantiles(samples, n=100, method="inclusive")[percent - 1]

    @property
    def start_spread(self) -> float:
        """Seconds between the first and the last client's first run: how well they overlap."""
        firsts = [report["runs"][0]["start"] for report in self.reports if report["runs"]]
        return max(firsts) - min(firsts)


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


def bench_server(runs: int, clients: int, per_client: int) -> int:
    """Set everything up, run the rounds, check the store, print the results."""
    # Imported here, not at the top: common needs cookiecutter and pytest, which the
    # project's environment (where the --inner parts run) does not have.
    from common import BIN, TEMPLATE_DIR, run, user_environment

    began = time.monotonic()
    database = f"bench_server_{uuid.uuid4().hex[:12]}"
    admin_password = secrets.token_urlsafe(24)
    user_password = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory() as scratch, contextlib.ExitStack() as cleanup:
        out = Path(scratch)
        logs = out / "logs"
        logs.mkdir()
        outcome = {"ok": False}
        cleanup.callback(keep_logs_on_failure, logs, outcome)  # last: after the server stops
        run([str(BIN / "cookiecutter"), "--no-input", str(TEMPLATE_DIR)], cwd=out)
        project = out / "my-ml-project"
        answers_file = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
        module = answers_file["context"]["cookiecutter"]["module_name"]
        python = str(project / ".venv" / "bin" / "python")
        print(f"Setting up {project.name}: make install, uv sync --extra server", flush=True)
        run(["make", "install"], cwd=project)
        run(["uv", "sync", "--extra", "server"], cwd=project)

        created = postgres(f"CREATE DATABASE {database}")
        if created.returncode != 0:
            sys.exit(f"cannot create a PostgreSQL database on 127.0.0.1:5432:\n{created.stderr}")
        cleanup.callback(drop_database, database)

        port = free_port()
        uri = f"http://127.0.0.1:{port}"
        server_env = user_environment(
            MLFLOW_BACKEND_STORE_URI=f"postgresql://postgres@127.0.0.1:5432/{database}",
            MLFLOW_AUTH_ADMIN_PASSWORD=admin_password,
            MLFLOW_FLASK_SERVER_SECRET_KEY=secrets.token_hex(32),
        )
        command = [python, "-m", module, "server", "--port", str(port), "--workers", str(WORKERS)]
        server = Server(command, project, server_env, logs / "server.log")
        cleanup.callback(server.stop)  # runs before the database is dropped
        print(
            f"Starting: python -m {module} server --port {port} --workers {WORKERS} "
            f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})",
            flush=True,
        )
        answered, all_up = wait_until_ready(server, uri, admin_password)
        print(
            f"    answered after {answered:.1f} s, all {WORKERS} workers up after {all_up:.1f} s"
        )

        rounds = [Round("warm-up", 1, 0, f"{EXPERIMENT_PREFIX}-warm-up")]
        for number in range(1, runs + 1):
            for scenario, count in (("A", 1), ("B", clients)):
                name = f"{EXPERIMENT_PREFIX}-{scenario}-{number}"
                rounds.append(Round(scenario, count, number, name))

        def env_as(username: str, password: str) -> dict[str, str]:
            return user_environment(
                MLFLOW_TRACKING_URI=uri,
                MLFLOW_TRACKING_USERNAME=username,
                MLFLOW_TRACKING_PASSWORD=password,
            )

        admin_env = env_as("admin", admin_password)
        this_file = str(Path(__file__).resolve())

        def inner(part: str, *options: str) -> Any:
            """Run one part of this script in the project's environment as admin."""
            done = run_inner([python, this_file, "--inner", part, "--module", module, *options])
            return json.loads(done.stdout.strip().splitlines()[-1])

        def run_inner(command: list[str], stdin: str | None = None) -> Any:
            done = subprocess.run(
                command, cwd=project, env=admin_env, input=stdin, capture_output=True, text=True
            )
            if done.returncode != 0:
                output = f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
                sys.exit(f"{' '.join(command[1:])} failed:\n{output}")
            return done

        names = [one.experiment for one in rounds]
        print(f"As admin: {len(names)} experiments, user {USER!r} with EDIT on each", flush=True)
        experiment_ids = inner("prepare", "--experiments", json.dumps(names))
        first, *others = names
        add_user = [python, "-m", module, "add-user", USER, "--experiment", first]
        run_inner([*add_user, "--permission", "EDIT"], stdin=f"{user_password}\n")
        inner("grant", "--experiments", json.dumps(others))

        command = [python, this_file, "--module", module, "--inner", "client"]
        command += ["--runs-per-client", str(per_client)]
        print(f"Starting {clients} client processes (imports and data, once)", flush=True)
        pool = ClientPool(clients, command, project, env_as(USER, user_password), logs)
        cleanup.callback(pool.close)  # runs before the server is stopped
        started = time.monotonic()
        pool.ask(range(clients), None, SERVER_START_TIMEOUT)
        if pool.failures:
            sys.exit("clients failed to start:\n" + "\n".join(pool.failures.values()))
        print(f"    all started after {time.monotonic() - started:.1f} s")
        print(
            f"Rounds: warm-up, then {runs} x (A: 1 client, B: {clients} clients), "
            f"{plural(per_client, 'run')} per client",
            flush=True,
        )
        connections = ConnectionSampler(database)
        cleanup.callback(connections.stop)
        for one in rounds:
            offset = len(server.log_text())
            run_round(pool, one)
            server.check_alive()
            one.server_lines = server.log_text()[offset:].splitlines()
            label = "warm-up" if one.number == 0 else f"{one.scenario}{one.number}"
            if one.ok_runs:
                print(
                    f"    {label}: {plural(len(one.ok_runs), 'run')} in {one.wall:.2f} s, "
                    f"p95 {one.latency(95):.3f} s (load average {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
            else:
                print(f"    {label}: no run succeeded", flush=True)

        connections.stop()
        # Idle and warm now: the cost of one call, with and without a login to check.
        authenticated, health = request_seconds(uri, admin_password)
        store = inner("check", "--experiments", json.dumps(experiment_ids))
        print_results([one for one in rounds if one.number > 0], clients, per_client)
        verdict = print_check(rounds, store, per_client)
        print(
            f"PostgreSQL connections during the rounds (sampled each second): peak "
            f"{connections.peak_ours} to the benchmark's database, {connections.peak_all} in "
            f"all (max_connections {connections.limit})"
        )
        outcome["ok"] = verdict == 0
        print(
            f"One API call on the idle server: authenticated (password hash checked) "
            f"{authenticated:.3f} s, /health without login {health:.3f} s (medians of 5)"
        )
    print(f"\nTotal time {time.monotonic() - began:.0f} s (server stopped, database dropped)")
    return verdict


class ClientPool:
    """Client processes, started once (imports, data), each waiting for its next round.

    They talk in JSON lines: the script writes a message to a client's stdin, the client
    answers with one line on its stdout; everything else a client prints goes to its log.
    """

    def __init__(
        self, count: int, command: list[str], cwd: Path, env: dict[str, str], logs: Path
    ) -> None:
        self.processes: list[tuple[subprocess.Popen[bytes], Path]] = []
        self.failures: dict[int, str] = {}
        for number in range(count):
            log = logs / f"client-{number}.log"
            with log.open("w", encoding="utf-8") as errors:
                process = subprocess.Popen(
                    [*command, "--client", str(number)],
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=errors,
                    bufsize=0,
                )
            self.processes.append((process, log))

    def ask(
        self, numbers: Iterable[int], message: object, timeout: float = CLIENT_TIMEOUT
    ) -> dict[int, Any]:
        """Send ``message`` to these clients, all first, then read each one's answer.

        A client that exits, or does not answer in time, is recorded in ``failures`` and
        asked nothing more. With ``message`` None, only read (the line a client writes when
        it has started).
        """
        asked = [number for number in numbers if number not in self.failures]
        if message is not None:
            line = (json.dumps(message) + "\n").encode()
            for number in list(asked):
                stdin = self.processes[number][0].stdin
                assert stdin is not None
                try:
                    stdin.write(line)
                except BrokenPipeError:
                    self.fail(number, "its stdin is closed")
                    asked.remove(number)
        deadline = time.monotonic() + timeout
        answered = {}
        for number in asked:
            process, _ = self.processes[number]
            assert process.stdout is not None
            text = read_line(process.stdout, deadline)
            if text is None:
                self.fail(number, f"no answer within {timeout:.0f} s")
            else:
                answered[number] = json.loads(text)
        return answered

    def fail(self, number: int, why: str) -> None:
        process, log = self.processes[number]
        if process.poll() is None:
            process.kill()
        process.wait()
        self.failures[number] = (
            f"client {number}: {why}, exit status {process.returncode}; its log ends:\n"
            + tail(log)
        )

    def close(self) -> None:
        """Close every client's stdin (they exit at its end); kill those that linger."""
        for process, _ in self.processes:
            if process.stdin is not None and not process.stdin.closed:
                with contextlib.suppress(BrokenPipeError):
                    process.stdin.close()
        deadline = time.monotonic() + 30
        for process, _ in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def read_line(stream: IO[bytes], deadline: float) -> str | None:
    """Read one line from an unbuffered pipe; None on end of file or at the deadline."""
    data = b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([stream], [], [], remaining)[0]:
            return None
        chunk = os.read(stream.fileno(), 65536)
        if not chunk:
            return None
        data += chunk
    return data.decode()


def run_round(pool: ClientPool, one: Round) -> None:
    """Open the round's experiment in its clients, release them together, keep the reports."""
    failed_before = set(pool.failures)
    label = f"{one.scenario}{one.number}"
    opened = pool.ask(range(one.clients), {"experiment": one.experiment, "round": label})
    ready = []
    for number, answer in opened.items():
        if "error" in answer:
            why = f"client {number} could not open the experiment: {answer['error']}"
            one.client_failures.append(why)
        else:
            ready.append(number)
    one.reports = list(pool.ask(ready, {"go": True}).values())  # the start signal, to all at once
    one.client_failures += [
        why for number, why in pool.failures.items() if number not in failed_before
    ]


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def tail(log: Path, characters: int = 2000) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-characters:]


def print_results(rounds: list[Round], clients: int, per_client: int) -> None:
    """Print the table of medians, every round's values and the ratios B/A."""
    print()
    print(
        f"Runs logged through the server, {plural(per_client, 'run')} per client, "
        "medians over rounds"
    )
    header = (
        f"{'scenario':<13} {'clients':>7} {'runs':>5} {'wall s':>7} {'runs/s':>7} "
        f"{'p50 s':>7} {'p95 s':>7} {'start spread s':>15}"
    )
    print(header)
    print("-" * len(header))
    medians: dict[str, dict[str, float]] = {}
    for scenario, count in (("A", 1), ("B", clients)):
        done = [one for one in rounds if one.scenario == scenario and one.ok_runs]
        label = f"{scenario}: {count} client{'s' if count > 1 else ''}"
        if not done:
            print(f"{label:<13} {count:>7} no successful run")
            continue
        values = {
            "runs": statistics.median(len(one.ok_runs) for one in done),
            "wall": statistics.median(one.wall for one in done),
            "throughput": statistics.median(one.throughput for one in done),
            "p50": statistics.median(one.latency(50) for one in done),
            "p95": statistics.median(one.latency(95) for one in done),
            "spread": statistics.median(one.start_spread for one in done),
        }
        medians[scenario] = values
        print(
            f"{label:<13} {count:>7} {values['runs']:>5.0f} {values['wall']:>7.2f} "
            f"{values['throughput']:>7.2f} {values['p50']:>7.3f} {values['p95']:>7.3f} "
            f"{values['spread']:>15.3f}"
        )
    for one in rounds:
        if one.ok_runs:
            print(
                f"    {one.scenario}{one.number}: {plural(len(one.ok_runs), 'run')}, "
                f"{one.wall:.2f} s, "
                f"{one.throughput:.2f} runs/s, p50 {one.latency(50):.3f} s, "
                f"p95 {one.latency(95):.3f} s, max {max(r['seconds'] for r in one.ok_runs):.3f} s"
            )
    if "A" in medians and "B" in medians:
        a, b = medians["A"], medians["B"]
        print(
            f"Ratio {clients} clients / 1 client: "
            f"throughput {b['throughput'] / a['throughput']:.2f}x, "
            f"p95 latency {b['p95'] / a['p95']:.2f}x, p50 latency {b['p50'] / a['p50']:.2f}x"
        )


def print_check(rounds: list[Round], store: dict[str, Any], per_client: int) -> int:
    """Compare what the clients logged with what the server holds; print lost and failed.

    A run counts as complete when it is FINISHED with every metric its client logged and
    both dataset inputs. Failed: a run on the server that is not complete, or a run whose
    client got an error before the server had it. Lost: expected runs that are neither.
    """
    print()
    lost = failed = expected_total = 0
    problems: Counter[str] = Counter()
    for one in rounds:
        expected = one.clients * per_client
        expected_total += expected
        on_server = {run["run_id"]: run for run in store[one.experiment]}
        metric_names = {name for report in one.reports for name in report["metrics"]}
        complete = set()
        for run_id, run in on_server.items():
            missing = metric_names - set(run["metrics"])
            if (
                run["status"] == "FINISHED"
                and run["metrics"]
                and not missing
                and run["inputs"] == 2
            ):
                complete.add(run_id)
            else:
                problems[
                    f"run {run['status']}, {len(missing)} metrics missing, {run['inputs']} inputs"
                ] += 1
        never_created = 0
        for run in one.runs:
            if "error" in run:
                problems[f"client error: {run['error']}"] += 1
                never_created += run.get("run_id") not in on_server
        reported = {run["run_id"] for run in one.runs if "run_id" in run}
        problems["complete run that no client reported"] += len(complete - reported)
        round_failed = len(on_server) - len(complete) + never_created
        failed += round_failed
        lost += max(0, expected - len(complete) - round_failed)
        for failure in one.client_failures:
            problems[f"client process failed: {failure}"] += 1
    problems = +problems  # drops the zero counts
    print(
        f"Store check as admin, every round ({expected_total} runs expected, warm-up included): "
        f"lost: {lost}, failed: {failed}"
    )
    for problem, count in problems.most_common():
        print(f"    {count} x {problem}")
    codes: Counter[str] = Counter()
    tracebacks = 0
    for one in rounds:
        for line in one.server_lines:
            found = HTTP_STATUS.search(line)
            if found:
                codes[found.group(1)] += 1
            tracebacks += line.startswith("Traceback")
    runs = sum(len(one.runs) for one in rounds)
    print(
        f"Server log over the rounds: {sum(codes.values())} requests "
        f"({sum(codes.values()) / max(runs, 1):.1f} per run, experiment opening included), "
        f"answered {dict(sorted(codes.items()))}; {tracebacks} tracebacks"
    )
    if tracebacks or any(code >= "500" for code in codes):
        print("    server-side errors (first 20 lines naming one):")
        lines = [
            line
            for one in rounds
            for line in one.server_lines
            if "Error" in line or "Exception" in line or re.search(r'" 5\d\d', line)
        ]
        for line in lines[:20]:
            print(f"      {line[:300]}")
    return 0 if lost == 0 and failed == 0 and not problems else 1


# --- Inner parts: run by the project's python, with its package and MLflow. ---------------


@contextlib.contextmanager
def json_stdout() -> Any:
    """Send everything printed to stderr; yield the real stdout, for the JSON report only."""
    real = sys.stdout
    sys.stdout = sys.stderr
    try:
        yield real
    finally:
        sys.stdout = real


def emit(stream: TextIO, result: object) -> None:
    stream.write(json.dumps(result) + "\n")
    stream.flush()


def prepare(module: str, names: list[str]) -> dict[str, str]:
    """As admin: create the experiments through the project's store module; name -> id."""
    store = importlib.import_module(f"{module}.tracking.store")
    store.configure()
    return {name: store.set_experiment(name) for name in names}


def grant(module: str, names: list[str]) -> None:
    """As admin: give the benchmark's user EDIT on more experiments."""
    store = importlib.import_module(f"{module}.tracking.store")
    uri = store.configure()
    import mlflow
    from mlflow.server.auth.client import AuthServiceClient

    auth = AuthServiceClient(uri)
    client = mlflow.MlflowClient(uri)
    for name in names:
        experiment_id = client.get_experiment_by_name(name).experiment_id
        auth.grant_user_permission(USER, "experiment", experiment_id, "EDIT")


def client(module: str, number: int, runs: int, out: TextIO) -> None:
    """Answer the script's messages until stdin ends; each round logs ``runs`` timed runs.

    Prepared once, untimed, as a training process has it before it logs: the config, the
    data and its held-out split, the two MLflow dataset descriptions, and metrics of scores
    from a rule (the first feature's rank) instead of a fitted model.
    """
    import numpy as np

    config_module = importlib.import_module(f"{module}.config")
    blocks = importlib.import_module(f"{module}.blocks")
    recording = importlib.import_module(f"{module}.tracking.recording")
    steps = importlib.import_module(f"{module}.workflows.steps")
    evaluation_module = importlib.import_module(f"{module}.evaluation")

    config = config_module.load_config()
    dataset = blocks.build_dataset(config.dataset)
    split = steps.held_out(config, dataset)
    training = recording.rows_input(dataset, split.train_features, split.train_target)
    held_out_rows = recording.rows_input(dataset, split.test_features, split.test_target)
    rank = split.test_features.iloc[:, 0].rank(pct=True).to_numpy()
    scores = np.clip(np.column_stack([rank, 1 - rank]), 0.01, 0.99)
    labels = np.asarray(np.unique(split.test_target))[(scores[:, 1] >= 0.5).astype(int)]
    predictions = evaluation_module.Predictions(labels, scores)
    metrics = evaluation_module.classification_metrics(split.test_target, labels, scores)
    evaluation = evaluation_module.Evaluation(metrics=metrics)
    emit(out, {"started": number})

    experiment_id, round_id = None, ""
    while line := sys.stdin.readline():
        message = json.loads(line)
        if "experiment" in message:  # untimed: what the training workflow does before its run
            try:
                config = config_module.load_config(
                    overrides=[f"experiment={message['experiment']}"]
                )
                _, experiment_id = steps.open_experiment(config)
                round_id = message["round"]
                emit(out, {"ready": experiment_id})
            except Exception as error:
                emit(out, {"error": describe(error, module)})
            continue
        records = []
        for _ in range(runs):
            record: dict[str, Any] = {"start": time.time()}
            started = time.perf_counter()
            try:
                tags = {ROUND_TAG: round_id}
                with recording.tracked_run(experiment_id, "train", tags=tags) as run:
                    record["run_id"] = run.info.run_id
                    recording.log_config(config, dataset, split)
                    recording.log_inputs(training=training, evaluation=held_out_rows)
                    recording.log_evaluation(
                        evaluation, split.test_target, predictions, rows=held_out_rows
                    )
                    recording.log_report({"client": number, "round": round_id}, "bench_report")
            except Exception as error:  # reported, not raised: the other runs go on
                record["error"] = describe(error, module)
            record["seconds"] = time.perf_counter() - started
            record["end"] = time.time()
            records.append(record)
        emit(out, {"client": number, "metrics": sorted(metrics), "runs": records})


def describe(error: BaseException, module: str) -> str:
    """The error's type and message, where it was raised, and the project's line on the way."""
    frames = traceback.extract_tb(error.__traceback__)
    message = " ".join(str(error).split())[:400]
    text = f"{type(error).__name__}: {message}"
    if frames:
        last = frames[-1]
        text += f" (raised at {last.filename}:{last.lineno} in {last.name}"
        ours = [frame for frame in frames if f"/{module}/" in frame.filename]
        if ours:
            text += f"; project code {ours[-1].filename}:{ours[-1].lineno} in {ours[-1].name}"
        text += ")"
    return text


def check(module: str, experiments: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """As admin: every run of each experiment, with its status, metric names and inputs."""
    store = importlib.import_module(f"{module}.tracking.store")
    store.configure()
    import mlflow
    from mlflow.entities import ViewType

    client = mlflow.MlflowClient()
    found: dict[str, list[dict[str, Any]]] = {}
    for name, experiment_id in experiments.items():
        runs, token = [], None
        while True:
            page = client.search_runs(
                [experiment_id], run_view_type=ViewType.ALL, max_results=1000, page_token=token
            )
            runs.extend(page)
            token = page.token
            if not token:
                break
        found[name] = [
            {
                "run_id": run.info.run_id,
                "status": run.info.status,
                "metrics": sorted(run.data.metrics),
                "inputs": len(run.inputs.dataset_inputs),
            }
            for run in runs
        ]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds of each scenario (3)")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="scenario B (32)")
    parser.add_argument("--runs-per-client", type=int, default=RUNS_PER_CLIENT, help="(5)")
    # For the outer script's own use: run one part inside the project's environment.
    parser.add_argument(
        "--inner", choices=("prepare", "grant", "client", "check"), help=argparse.SUPPRESS
    )
    parser.add_argument("--module", help=argparse.SUPPRESS)
    parser.add_argument("--experiments", help=argparse.SUPPRESS)
    parser.add_argument("--client", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.runs < 1 or args.clients < 1 or args.runs_per_client < 1:
        parser.error("--runs, --clients and --runs-per-client must be at least 1")
    if args.inner is None:
        # SIGTERM ends the script like Ctrl-C: the server is stopped, the database dropped.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        sys.exit(bench_server(args.runs, args.clients, args.runs_per_client))
    with json_stdout() as out:
        if args.inner == "prepare":
            emit(out, prepare(args.module, json.loads(args.experiments)))
        elif args.inner == "grant":
            grant(args.module, json.loads(args.experiments))
            emit(out, "granted")
        elif args.inner == "client":
            client(args.module, args.client, args.runs_per_client, out)
        else:
            emit(out, check(args.module, json.loads(args.experiments)))


if __name__ == "__main__":
    main()
