"""Sweeps for real: worker processes sharing one Optuna study in a local PostgreSQL database.

Slow: an installed uv project (with its `server` extra, which brings psycopg) runs `make
sweep` in three processes at once against a fresh database (dropped afterwards), its runs in
a SQLite store in a temporary folder; a sweep is interrupted with SIGINT and resumed.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from testkit.baking import BakedProject, user_environment
from testkit.running import postgres_database

WORKERS, TRIALS = 3, 12
PASSWORD = "not-a-real-secret"

# Prints the study's trials and the store's runs of a sweep, as JSON, from the project.
REPORT = """\
import json, sys
import mlflow, optuna
from {module}.tracking.studies import RUN_ATTR
from {module}.tracking.study_storage import open_storage

storage, _ = open_storage()
study = optuna.load_study(study_name=sys.argv[1], storage=storage)
trials = [
    {{"number": t.number, "state": t.state.name, "value": t.value, "params": t.params,
      "run_id": t.user_attrs.get(RUN_ATTR), "surplus": t.user_attrs.get("surplus", False)}}
    for t in study.get_trials()
]
runs = mlflow.search_runs(search_all_experiments=True, output_format="list")
print(json.dumps({{
    "best": {{"number": study.best_trial.number, "value": study.best_value,
              "params": study.best_params}},
    "trials": trials,
    "runs": [{{"id": r.info.run_id, "status": r.info.status, "tags": r.data.tags,
               "metrics": r.data.metrics}} for r in runs],
}}))
"""


@pytest.fixture(scope="module")
def project(installed_project) -> BakedProject:
    baked = installed_project("uv")
    baked.run("uv", "sync", "--extra", "server")  # what `make sweep` installs on first use
    return baked


def environment(database: str, store: Path) -> dict[str, str]:
    return user_environment(OPTUNA_STORAGE=database, MLFLOW_TRACKING_URI=f"sqlite:///{store}")


def report(project: BakedProject, env: dict[str, str], study: str, tmp_path: Path) -> dict:
    script = tmp_path / "report.py"
    script.write_text(REPORT.format(module=project.module_name), encoding="utf-8")
    result = subprocess.run(
        [str(project.python), str(script), study],
        cwd=project.path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def start(command: list[str], project: BakedProject, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        command, cwd=project.path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def wait_for_running_trial(store: Path, number: int, timeout: float = 120) -> None:
    """Wait until the run of a trial is RUNNING in a SQLite store: it is training."""
    query = (
        "SELECT count(*) FROM runs JOIN tags ON runs.run_uuid = tags.run_uuid "
        "WHERE tags.key = 'sweep.trial' AND tags.value = ? AND runs.status = 'RUNNING'"
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.closing(sqlite3.connect(store, timeout=30)) as database:
            if database.execute(query, (str(number),)).fetchone()[0]:
                return
        time.sleep(0.2)
    pytest.fail(f"trial {number} never started running")


def sweep_command(project: BakedProject, study: str, trials: int) -> list[str]:
    module = project.module_name
    return [str(project.python), "-m", module, "sweep", "--study", study, "--trials", str(trials)]


def test_workers_on_several_shells_split_one_study_without_losing_or_repeating_a_trial(
    project, tmp_path
):
    store = tmp_path / "mlflow.db"
    with postgres_database() as database:
        # Trust authentication ignores the password: it is there to be hidden from the runs.
        env = environment(database.replace("postgres@", f"postgres:{PASSWORD}@"), store)
        args = f"ARGS=--study shared --trials {TRIALS}"
        workers = [start(["make", "sweep", args], project, env) for _ in range(WORKERS)]
        outputs = [worker.communicate(timeout=900)[0] for worker in workers]
        for worker, output in zip(workers, outputs, strict=True):
            assert worker.returncode == 0, output[-3000:]
        contents = report(project, env, "shared", tmp_path)

    trials = contents["trials"]
    complete = [t for t in trials if t["state"] == "COMPLETE"]
    assert sorted(t["number"] for t in complete) == list(range(TRIALS))
    # Any other trial is one a worker asked for at the same moment as another and gave up.
    assert all(t["surplus"] for t in trials if t["state"] != "COMPLETE")
    ran = [sum(line.lstrip().startswith("trial ") for line in o.splitlines()) for o in outputs]
    assert sum(ran) == TRIALS
    assert sum(count > 0 for count in ran) >= 2, ran  # the trials were split between workers

    parents = [r for r in contents["runs"] if r["tags"].get("run_type") == "sweep"]
    assert len(parents) == 1
    (parent,) = parents
    children = [r for r in contents["runs"] if r["tags"].get("mlflow.parentRunId") == parent["id"]]
    assert len(children) == TRIALS
    assert all(r["status"] == "FINISHED" for r in children)
    by_trial = {int(r["tags"]["sweep.trial"]): r["id"] for r in children}
    assert by_trial == {t["number"]: t["run_id"] for t in complete}  # each run is its trial
    assert parent["status"] == "FINISHED"
    best = contents["best"]
    assert parent["tags"]["sweep.best_trial"] == str(best["number"])
    assert parent["metrics"]["best_roc_auc"] == pytest.approx(best["value"])
    for name, value in best["params"].items():
        assert float(parent["tags"][f"sweep.best.{name}"]) == pytest.approx(value)
    assert parent["tags"]["sweep.same_held_out_rows"] == "True"
    assert PASSWORD not in json.dumps(parent)
    assert parent["tags"]["sweep.storage"].startswith("postgresql+psycopg://postgres:***@")
    assert any("Best trial:" in output for output in outputs)


def test_an_interrupted_sweep_keeps_its_trials_and_the_same_command_completes_it(
    project, tmp_path
):
    store = tmp_path / "mlflow.db"
    with postgres_database() as database:
        env = environment(database, store)
        command = sweep_command(project, "resumed", 4)
        sweep = start(command, project, env)
        lines = []
        for line in sweep.stdout:  # a trial's line is printed once Optuna has its result
            lines.append(line)
            if line.lstrip().startswith("trial   0"):
                wait_for_running_trial(store, 1)
                sweep.send_signal(signal.SIGINT)
                break
        rest, _ = sweep.communicate(timeout=300)
        output = "".join(lines) + rest
        assert sweep.returncode == 130, output[-3000:]
        assert "Traceback" not in output
        stopped = report(project, env, "resumed", tmp_path)

        resumed = subprocess.run(
            command, cwd=project.path, env=env, capture_output=True, text=True, timeout=900,
            check=False,
        )  # fmt: skip
        assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
        contents = report(project, env, "resumed", tmp_path)

    assert [t["state"] for t in stopped["trials"]] == ["COMPLETE", "FAIL"]
    states = [t["state"] for t in contents["trials"]]
    assert states.count("COMPLETE") == 4
    assert states.count("FAIL") == 1
    failed = next(t for t in contents["trials"] if t["state"] == "FAIL")
    runs = {r["tags"]["sweep.trial"]: r for r in contents["runs"] if "sweep.trial" in r["tags"]}
    assert runs[str(failed["number"])]["status"] == "KILLED"
    assert sum(r["status"] == "FINISHED" for r in runs.values()) == 4
    (parent,) = [r for r in contents["runs"] if r["tags"].get("run_type") == "sweep"]
    assert parent["status"] == "FINISHED"
    assert "4 of 4 trials finished" in resumed.stdout
