"""Timing helpers shared by the benchmark scripts: repeat, take the median, print a row.

The scripts run from the repository root as modules (``.venv/bin/python -m
benchmarks.bench_project``), so that they import :mod:`testkit`, which runs commands in a
generated project as a user would (no active virtualenv).
"""

from __future__ import annotations

import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from testkit.baking import TEMPLATE_DIR, user_environment

__all__ = ["BIN", "TEMPLATE_DIR", "median_seconds", "report", "run", "user_environment"]
BIN = Path(sys.executable).parent

# `make install` creates a model signing key in the user's config folder: a temporary one,
# so that benchmarks never touch yours.
if "XDG_CONFIG_HOME" not in os.environ:
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="bench-config-")
    atexit.register(shutil.rmtree, os.environ["XDG_CONFIG_HOME"], ignore_errors=True)


def run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a command and fail loudly with its output."""
    result = subprocess.run(
        command, cwd=cwd, env=user_environment(**env), capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def median_seconds(
    action: Callable[[], object], runs: int, setup: Callable[[], object] | None = None
) -> tuple[float, list[float]]:
    """Time ``action`` ``runs`` times (``setup`` before each, untimed) and return the median."""
    samples = []
    for _ in range(runs):
        if setup:
            setup()
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), samples


def report(label: str, median: float, samples: list[float], goal: float | None = None) -> None:
    """Print one result line: median, goal verdict and every sample."""
    verdict = ""
    if goal is not None:
        verdict = f" (goal <= {goal:g} s: {'met' if median <= goal else 'MISSED'})"
    spread = ", ".join(f"{sample:.3f}" for sample in samples)
    print(f"{label}: median {median:.3f} s over {len(samples)} runs{verdict}", flush=True)
    print(f"    samples: {spread}", flush=True)
