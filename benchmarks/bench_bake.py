"""Bake benchmarks: ``.venv/bin/python -m benchmarks.bench_bake [--runs N]``.

1. Wall time of a default bake through the ``cookiecutter`` CLI (hooks and git init
   included), next to the CLI's own start-up (``cookiecutter --version``) for scale.
2. Time from bake to a green generated test suite with uv and a warm package cache:
   bake, ``make install`` (uv sync + git hooks), ``make test``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from benchmarks.common import BIN, TEMPLATE_DIR, median_seconds, report, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cookiecutter = str(BIN / "cookiecutter")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        project = out / "my-ml-project"

        def clear() -> None:
            shutil.rmtree(project, ignore_errors=True)

        def bake() -> None:
            run([cookiecutter, "--no-input", str(TEMPLATE_DIR)], cwd=out)

        median, samples = median_seconds(
            lambda: run([cookiecutter, "--version"], cwd=out), args.runs
        )
        report("cookiecutter --version (CLI start-up alone)", median, samples)
        median, samples = median_seconds(bake, args.runs, setup=clear)
        report("default bake through the cookiecutter CLI", median, samples, goal=0.35)

        clear()
        bake()
        run(["make", "install"], cwd=project)  # warm uv's package cache

        def bake_to_green() -> None:
            bake()
            run(["make", "install"], cwd=project)
            result = run(["make", "test"], cwd=project)
            assert " passed" in result.stdout, result.stdout

        median, samples = median_seconds(bake_to_green, args.runs, setup=clear)
        report(
            "bake -> make install -> make test green (uv, warm cache)", median, samples, goal=20
        )


if __name__ == "__main__":
    main()
