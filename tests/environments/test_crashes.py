"""Real signals sent to real trainings and promotions at each step leave the store truthful.

Slow: bakes and installs its own project (its package gets a test-only module of blocks
that wait at one step), trains and promotes against stores in temporary folders, and
signals the command while it waits; one test stops the tracking server under a training.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from testkit.baking import BakedProject, install_project, user_environment
from testkit.running import background, free_port, read_store, wait_for_port

# Blocks that pause at the step named by $PAUSE_AT, printing a line first, so that the test
# signals the command exactly there. Written into the baked project's package; importing it
# (a config naming its dataset) also wraps the registry's steps of registering and promoting.
PAUSING_BLOCKS = '''"""Test support: blocks that pause at one step of a training or a promotion."""

import os
import time

from {module}.datasets import SklearnDataset
from {module}.models import SklearnModel
from {module}.tracking import champions, model_store, registry

STEP = os.environ.get("PAUSE_AT", "")
RESUME = os.environ.get("RESUME_WHEN", "")  # a file: the pause ends when it exists


def pause(step):
    if step == STEP:
        print(f"PAUSED AT {{step}}", flush=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (RESUME and os.path.exists(RESUME)):
            time.sleep(0.1)


class PausingDataset(SklearnDataset):
    def load(self):
        pause("load")
        return super().load()


class PausingModel(SklearnModel):
    def fit(self, features, target):
        pause("fit")
        return super().fit(features, target)


def log_then_pause(*args, _log=model_store.log_model, **options):
    info = _log(*args, **options)
    pause("log")
    return info


def register_then_pause(model_uri, name, _register=registry.register, **options):
    version = _register(model_uri, name, **options)
    pause("register")  # the version exists: an interrupt now must withdraw it
    return version


def baseline_then_pause(*args, _record=champions.record_baseline):
    _record(*args)
    pause("baseline")  # the challenger has its baseline tags, the alias has not moved


def alias_then_pause(name, alias, version, _set=registry.set_alias):
    _set(name, alias, version)
    if alias == registry.CHAMPION_ALIAS:
        pause("champion alias")  # moved, and the run does not say "promoted" yet


model_store.log_model = log_then_pause
registry.register = register_then_pause
champions.record_baseline = baseline_then_pause
registry.set_alias = alias_then_pause
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> BakedProject:
    baked = install_project(tmp_path_factory.mktemp("crashes"), "Crash Check")
    blocks = baked.path / "src" / baked.module_name / "pausing_blocks.py"
    blocks.write_text(PAUSING_BLOCKS.format(module=baked.module_name), encoding="utf-8")
    return baked


def pausing(project: BakedProject) -> list[str]:
    """Overrides that make a command use the pausing blocks."""
    module = project.module_name
    return [
        f"dataset.type={module}.pausing_blocks.PausingDataset",
        f"model.type={module}.pausing_blocks.PausingModel",
    ]


def start(project: BakedProject, uri: str, step: str, *command: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(project.python), "-m", project.module_name, *command, *pausing(project)],
        cwd=project.path,
        env=user_environment(MLFLOW_TRACKING_URI=uri, PAUSE_AT=step),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def cli(project: BakedProject, uri: str, *command: str, **env: str) -> subprocess.CompletedProcess:
    return project.run(
        str(project.python), "-m", project.module_name, *command,
        check=False, env=user_environment(MLFLOW_TRACKING_URI=uri, **env),
    )  # fmt: skip


def wait_for_pause(process: subprocess.Popen, step: str) -> list[str]:
    """Read the command's output until it pauses at ``step``; return the lines so far."""
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.strip() == f"PAUSED AT {step}":
            return lines
    process.wait(timeout=60)
    pytest.fail(f"the command never reached {step}:\n{''.join(lines)[-3000:]}")


def signal_at(process: subprocess.Popen, step: str, signum: int) -> str:
    """Wait for the command to pause at ``step``, send ``signum``; return all its output."""
    lines = wait_for_pause(process, step)
    process.send_signal(signum)
    rest, _ = process.communicate(timeout=300)
    return "".join(lines) + rest


def sqlite(folder: Path) -> str:
    return f"sqlite:///{folder / 'mlflow.db'}"


@pytest.mark.parametrize(
    ("step", "signum"),
    [
        ("load", signal.SIGTERM),
        ("fit", signal.SIGINT),
        ("log", signal.SIGTERM),
        ("register", signal.SIGINT),
    ],
)
def test_an_interrupted_training_is_killed_and_registers_nothing(project, tmp_path, step, signum):
    uri = sqlite(tmp_path)
    training = start(project, uri, step, "train")

    output = signal_at(training, step, signum)

    assert training.returncode == 128 + signum, output[-3000:]
    assert "Traceback" not in output
    if step == "load":  # the run starts after the data is loaded: nothing to mark
        assert "No run was in progress." in output
        assert not (tmp_path / "mlflow.db").exists() or read_store(project, uri)["runs"] == []
        return
    contents = read_store(project, uri)
    (run,) = contents["runs"]
    assert run["status"] == "KILLED"
    assert f"Run {run['run_id']} was marked KILLED." in output
    assert all(model["versions"] == [] for model in contents["registered_models"])
    assert all(model["aliases"] == {} for model in contents["registered_models"])


def test_a_run_whose_process_died_is_closed_by_the_next_command(project, tmp_path):
    uri = sqlite(tmp_path)
    training = start(project, uri, "fit", "train")
    signal_at(training, "fit", signal.SIGKILL)
    assert training.returncode == -signal.SIGKILL
    (run,) = read_store(project, uri)["runs"]
    assert run["status"] == "RUNNING"  # nothing could end it

    closed = cli(project, uri, "close-stale")

    assert closed.returncode == 0, closed.stdout + closed.stderr
    (run,) = read_store(project, uri)["runs"]
    assert run["status"] == "KILLED"
    assert run["tags"]["closed_because"] == "its process is gone"
    assert run["run_id"] in closed.stdout


@pytest.mark.parametrize("next_command", ["close-stale", "evaluate"])
def test_a_version_registered_by_a_training_killed_outright_is_withdrawn(
    project, tmp_path, next_command
):
    """SIGKILL between registering and ending the run: the next command withdraws it."""
    uri = sqlite(tmp_path)
    training = start(project, uri, "register", "train")
    signal_at(training, "register", signal.SIGKILL)
    (model,) = read_store(project, uri)["registered_models"]
    assert [version["version"] for version in model["versions"]] == ["1"]  # left behind

    result = cli(project, uri, next_command)

    assert "Traceback" not in result.stdout + result.stderr
    assert "version(s)" in result.stdout or "withdrew version 1" in result.stdout, result.stdout
    contents = read_store(project, uri)
    (run,) = contents["runs"]
    assert run["status"] == "KILLED"
    (model,) = contents["registered_models"]
    assert model["versions"] == []
    assert model["aliases"] == {}


@pytest.fixture
def two_versions(project, tmp_path) -> str:
    """A store with version 1 the champion and version 2 a candidate; returns its URI."""
    uri = sqlite(tmp_path)
    for command in (["train"], ["promote"], ["train", "model.params.C=0.1"]):
        result = cli(project, uri, *command)
        assert result.returncode == 0, result.stdout + result.stderr
    return uri


def promotions(project: BakedProject, uri: str) -> list[dict]:
    return [r for r in read_store(project, uri)["runs"] if r["tags"]["run_type"] == "promotion"]


def versions(project: BakedProject, uri: str) -> tuple[dict, dict]:
    (model,) = read_store(project, uri)["registered_models"]
    return model["aliases"], {v["version"]: v["tags"] for v in model["versions"]}


@pytest.mark.parametrize(
    ("step", "signum"), [("baseline", signal.SIGINT), ("champion alias", signal.SIGTERM)]
)
def test_an_interrupted_promotion_changes_nothing(project, two_versions, step, signum):
    uri = two_versions
    promotion = start(project, uri, step, "promote", "--force", "testing signals")

    output = signal_at(promotion, step, signum)

    assert promotion.returncode == 128 + signum, output[-3000:]
    assert "nothing changed, version 1 is the champion" in output
    assert "Traceback" not in output
    killed = [run for run in promotions(project, uri) if run["status"] == "KILLED"]
    assert len(killed) == 1
    assert "decision" not in killed[0]["tags"]
    aliases, tags = versions(project, uri)
    assert aliases == {"champion": "1", "candidate": "2"}
    assert not any(key.startswith("baseline") for key in tags["2"])


def test_a_promotion_killed_outright_is_told_the_truth_by_the_next_command(project, two_versions):
    """SIGKILL after the alias moved, before the run said so: close-stale records it."""
    uri = two_versions
    promotion = start(project, uri, "champion alias", "promote", "--force", "testing signals")
    signal_at(promotion, "champion alias", signal.SIGKILL)
    (killed,) = [run for run in promotions(project, uri) if run["status"] == "RUNNING"]
    assert "decision" not in killed["tags"]

    cli(project, uri, "close-stale")

    (closed,) = [run for run in promotions(project, uri) if run["run_id"] == killed["run_id"]]
    assert closed["status"] == "KILLED"
    assert closed["tags"]["decision"] == "promoted"  # the alias did move
    aliases, tags = versions(project, uri)
    assert aliases["champion"] == "2"
    assert tags["2"]["baseline_run_id"] == killed["run_id"]


def test_a_training_whose_tracking_server_stops_says_so_and_is_closed_later(project, tmp_path):
    """The server dies mid-run: a line per retry, one error line, a true last word."""
    port = free_port()
    store = tmp_path / "server.db"
    command = [
        str(project.python), "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{store}",
        "--artifacts-destination", (tmp_path / "artifacts").as_uri(),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    uri = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with background(command, log, cwd=tmp_path, env=user_environment()) as server:
        wait_for_port(port, process=server, log=log)
        training = subprocess.Popen(
            [str(project.python), "-m", project.module_name, "train", *pausing(project)],
            cwd=project.path,
            env=user_environment(
                MLFLOW_TRACKING_URI=uri,
                PAUSE_AT="fit",
                RESUME_WHEN=str(tmp_path / "resume"),
                TRACKING_STORE_WAIT_SECONDS="6",
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines = wait_for_pause(training, "fit")
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        (tmp_path / "resume").touch()
        rest, _ = training.communicate(timeout=600)
    output = "".join(lines) + rest

    assert training.returncode == 75, output[-3000:]
    assert "Traceback" not in output
    assert "waiting for the tracking store (" in output
    assert "attempt 1, next in" in output
    (error,) = [line for line in output.splitlines() if line.startswith("error: ")]
    assert "the tracking store did not answer for" in error
    assert "could not be marked FAILED" in error
    assert "`make close-stale`" in error
    # Once the server is back, the run left RUNNING is closed, truthfully.
    with background(command, log, cwd=tmp_path, env=user_environment()) as server:
        wait_for_port(port, process=server, log=log)
        closed = cli(project, uri, "close-stale")
        (run,) = read_store(project, uri)["runs"]
    assert run["status"] == "KILLED"
    assert run["run_id"] in closed.stdout
