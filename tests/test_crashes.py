"""Real signals sent to a real training at each step leave the store telling the truth.

Slow: bakes and installs its own project (its package gets a test-only module of blocks
that wait at one step), trains against a store in a temporary folder, and signals the
training while it waits.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from baking import BakedProject, install_project, user_environment
from running import read_store

pytestmark = pytest.mark.slow

# Blocks that pause at the step named by $PAUSE_AT, printing a line first, so that the test
# signals the training exactly there. Written into the baked project's package.
PAUSING_BLOCKS = '''"""Test support: blocks that pause at one step of a training."""

import os
import time

from {module}.datasets import SklearnDataset
from {module}.models import SklearnModel
from {module}.tracking import registry

STEP = os.environ.get("PAUSE_AT", "")


def pause(step):
    if step == STEP:
        print(f"PAUSED AT {{step}}", flush=True)
        time.sleep(120)


class PausingDataset(SklearnDataset):
    def load(self):
        pause("load")
        return super().load()


class PausingModel(SklearnModel):
    def fit(self, features, target):
        pause("fit")
        return super().fit(features, target)

    def log(self, name, **options):
        pause("log")
        return super().log(name, **options)


def register_then_pause(model_uri, name, _register=registry.register, **options):
    version = _register(model_uri, name, **options)
    pause("register")  # the version exists: an interrupt now must withdraw it
    return version


registry.register = register_then_pause
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> BakedProject:
    baked = install_project(tmp_path_factory.mktemp("crashes"), "Crash Check")
    blocks = baked.path / "src" / baked.module_name / "pausing_blocks.py"
    blocks.write_text(PAUSING_BLOCKS.format(module=baked.module_name), encoding="utf-8")
    return baked


def start_training(project: BakedProject, store: Path, step: str) -> subprocess.Popen:
    module = project.module_name
    return subprocess.Popen(
        [
            str(project.python), "-m", module, "train",
            f"dataset.type={module}.pausing_blocks.PausingDataset",
            f"model.type={module}.pausing_blocks.PausingModel",
        ],
        cwd=project.path,
        env=user_environment(MLFLOW_TRACKING_URI=f"sqlite:///{store}", PAUSE_AT=step),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def signal_at(training: subprocess.Popen, step: str, signum: int) -> str:
    """Wait for the training to pause at ``step``, send ``signum``; return all its output."""
    lines = []
    for line in training.stdout:
        lines.append(line)
        if line.strip() == f"PAUSED AT {step}":
            training.send_signal(signum)
            break
    else:
        training.wait(timeout=60)
        pytest.fail(f"the training never reached {step}:\n{''.join(lines)[-3000:]}")
    rest, _ = training.communicate(timeout=300)
    return "".join(lines) + rest


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
    store = tmp_path / "mlflow.db"
    training = start_training(project, store, step)

    output = signal_at(training, step, signum)

    assert training.returncode == 128 + signum, output[-3000:]
    assert "marked KILLED" in output
    assert "Traceback" not in output
    if not store.exists():  # interrupted before the store was first opened
        assert step == "load"
        return
    contents = read_store(project, f"sqlite:///{store}")
    if step == "load":
        assert contents["runs"] == []  # the run starts after the data is loaded
    else:
        (run,) = contents["runs"]
        assert run["status"] == "KILLED"
    assert all(model["versions"] == [] for model in contents["registered_models"])
    assert all(model["aliases"] == {} for model in contents["registered_models"])


def test_a_run_whose_process_died_is_closed_by_the_next_command(project, tmp_path):
    store = tmp_path / "mlflow.db"
    training = start_training(project, store, "log")
    signal_at(training, "log", signal.SIGKILL)
    assert training.returncode == -signal.SIGKILL
    (run,) = read_store(project, f"sqlite:///{store}")["runs"]
    assert run["status"] == "RUNNING"  # nothing could end it

    closed = project.run(
        str(project.python), "-m", project.module_name, "close-stale",
        env=user_environment(MLFLOW_TRACKING_URI=f"sqlite:///{store}"),
    )  # fmt: skip

    (run,) = read_store(project, f"sqlite:///{store}")["runs"]
    assert run["status"] == "KILLED"
    assert run["tags"]["closed_because"] == "its process is gone"
    assert run["run_id"] in closed.stdout
