"""Run this template's test suite on a fresh machine: ``python3 run_tests.py [pytest args]``.

Needs only Python 3.10+ and git (GNU make too, for the tests that run ``make`` in generated
projects). Creates ``.venv`` beside this file, installs the ``test`` dependency group of
``pyproject.toml`` into it (again only when that file changes) and runs pytest there.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
STAMP = VENV / ".test-deps.sha256"


def ensure_environment() -> None:
    """Create the virtualenv and install the test group unless it is already up to date."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text() == digest:
        return
    if not PYTHON.exists():
        print(f"run_tests: creating {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    print("run_tests: installing the test dependency group", flush=True)
    # `--group` (PEP 735) needs pip 25.1 or newer.
    subprocess.run([*pip, "install", "--upgrade", "pip>=25.1"], check=True)
    subprocess.run([*pip, "install", "--group", "test"], cwd=ROOT, check=True)
    STAMP.write_text(digest)


def main(pytest_args: list[str]) -> int:
    """Bootstrap the environment, then run pytest in it with ``pytest_args``."""
    ensure_environment()
    env = {**os.environ, "PATH": f"{PYTHON.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [str(PYTHON), "-m", "pytest", *pytest_args], cwd=ROOT, env=env
    ).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
