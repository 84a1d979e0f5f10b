"""Model signing cost: ``.venv/bin/python -m benchmarks.bench_signing [--runs N]``.

Bakes a default (uv) project from this checkout, runs ``make install``, and times, inside
the project's environment and with its own ``signatures`` module, signing and verifying a
model folder holding a 1 MB and a 100 MB model file (random bytes, the size a logistic
regression and a large random forest take). Signing is what ``train`` adds to logging a
model; verifying is what every command adds to loading one. Prints medians over ``--runs``
runs (default 5), and the throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

SIZES_MB = (1, 100)


def bench(runs: int) -> None:
    """Bake and install a project, then time its signing and verification."""
    from benchmarks.common import BIN, report, run

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        run([str(BIN / "cookiecutter"), "--no-input", str(Path(__file__).parents[1])], cwd=out)
        project = out / "my-ml-project"
        run(["make", "install"], cwd=project)
        results = out / "signing.json"
        command = [str(project / ".venv" / "bin" / "python"), str(Path(__file__).resolve())]
        run([*command, "--inner", "--runs", str(runs), "--out", str(results)], cwd=project)
        timings = json.loads(results.read_text(encoding="utf-8"))
        for size in SIZES_MB:
            for step in ("sign", "verify"):
                samples = timings[f"{step}-{size}"]
                median = statistics.median(samples)
                report(f"{step} a {size} MB model folder", median, samples)
                print(f"    {size / median:.0f} MB/s", flush=True)


def inner(runs: int, out: Path) -> None:
    """In the project's environment: sign and verify folders with its own module."""
    from my_ml_project import signatures

    timings: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for size in SIZES_MB:
            folder = Path(scratch) / f"model-{size}"
            folder.mkdir()
            (folder / "MLmodel").write_text("flavors: {}\n")
            (folder / "model.skops").write_bytes(os.urandom(size * 1_000_000))
            for step in ("sign", "verify"):
                timings[f"{step}-{size}"] = []
            for _ in range(runs):
                started = time.perf_counter()
                signatures.sign_folder(folder)
                timings[f"sign-{size}"].append(time.perf_counter() - started)
                started = time.perf_counter()
                signatures.verify(folder, folder / signatures.SIGNATURE_FILE, folder.name)
                timings[f"verify-{size}"].append(time.perf_counter() - started)
    out.write_text(json.dumps(timings), encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.inner:
        inner(arguments.runs, arguments.out)
    else:
        bench(arguments.runs)
