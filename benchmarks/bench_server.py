"""Tracking server benchmark: ``.venv/bin/python -m benchmarks.bench_server [--runs N]``.

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
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.server_inner import USER
from benchmarks.server_report import plural, print_check, print_results
from benchmarks.server_rounds import ClientPool, Round, run_round
from benchmarks.server_setup import (
    SERVER_START_TIMEOUT,
    WORKERS,
    ConnectionSampler,
    Server,
    drop_database,
    free_port,
    keep_logs_on_failure,
    postgres,
    request_seconds,
    wait_until_ready,
)

CLIENTS = 32
RUNS_PER_CLIENT = 1  # 32 clients x 3 rounds fit in ~10 minutes (see the docstring)
EXPERIMENT_PREFIX = "server-bench"
INNER = Path(__file__).with_name("server_inner.py")  # run by the project's interpreter


# --- Outer script: runs under the template's .venv, standard library only. ---------------


def bench_server(runs: int, clients: int, per_client: int) -> int:
    """Set everything up, run the rounds, check the store, print the results."""
    # Imported here, not at the top: common needs cookiecutter and pytest, which the
    # project's environment (where the --inner parts run) does not have.
    from benchmarks.common import BIN, TEMPLATE_DIR, run, user_environment

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

        def inner(part: str, *options: str) -> Any:
            """Run one part of server_inner.py in the project's environment as admin."""
            done = run_inner([python, str(INNER), "--inner", part, "--module", module, *options])
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

        command = [python, str(INNER), "--module", module, "--inner", "client"]
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


# --- Inner parts: run by the project's python, with its package and MLflow. ---------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds of each scenario (3)")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="scenario B (32)")
    parser.add_argument("--runs-per-client", type=int, default=RUNS_PER_CLIENT, help="(1)")
    args = parser.parse_args()
    if args.runs < 1 or args.clients < 1 or args.runs_per_client < 1:
        parser.error("--runs, --clients and --runs-per-client must be at least 1")
    # SIGTERM ends the script like Ctrl-C: the server is stopped, the database dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(bench_server(args.runs, args.clients, args.runs_per_client))


if __name__ == "__main__":
    main()
