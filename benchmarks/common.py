"""Timing helpers shared by the benchmark scripts: repeat, take the median, print a row."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# The test harness knows how to run commands as a user would (no active virtualenv).
sys.path.insert(0, str(TEMPLATE_DIR / "tests"))
from baking import user_environment  # noqa: E402


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
