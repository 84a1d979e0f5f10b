"""Sweep throughput: ``.venv/bin/python benchmarks/bench_sweep.py [--runs N] [--trials N]``.

Run it from the repository root once ``python3 run_tests.py -m "not slow"`` has created
``.venv``. It bakes a default (uv) project in a temporary folder, runs ``make install``,
and times the project's ``sweep`` command on the default config (breast cancer, logistic
regression; TPE over ``C`` and ``clip``): ``--trials`` trials (default 8) of one new study,
run by 1 worker, then by 2 worker processes started together on the same study. Each round
has a fresh study (local journal file) and a fresh MLflow store (SQLite), created untimed
by one warm-up trial of another study, so no round pays for the store's creation.

A round's time is the wall time from starting the workers to the last one's exit, process
start-up (imports) included, as a user waiting for ``make sweep`` sees it. Trials per
minute = trials / time x 60. ``--runs`` rounds of each (default 3, alternating 1 2 1 2),
medians printed side by side with the ratio of 2 workers to 1. Every round is checked: the
study has exactly ``--trials`` COMPLETE trials, split between the workers in the 2-worker
rounds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def bench_sweep(runs: int, trials: int) -> None:
    """Bake a project, time its sweeps with 1 and 2 workers and print the medians."""
    from common import BIN, TEMPLATE_DIR, run, user_environment

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        run([str(BIN / "cookiecutter"), "--no-input", str(TEMPLATE_DIR)], cwd=out)
        project = out / "my-ml-project"
        run(["make", "install"], cwd=project)
        answers = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
        module = answers["context"]["cookiecutter"]["module_name"]
        python = str(project / ".venv" / "bin" / "python")

        def sweep_round(workers: int, round_number: int) -> float:
            folder = out / f"round-{round_number}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            env = user_environment(
                OPTUNA_STORAGE=str(folder / "journal.log"),
                MLFLOW_TRACKING_URI=f"sqlite:///{folder / 'mlflow.db'}",
            )
            command = [python, "-m", module, "sweep", "--trials"]
            warm_up = [*command, "1", "--study", "warm-up"]
            subprocess.run(warm_up, cwd=project, env=env, capture_output=True, check=True)
            timed = [*command, str(trials), "--study", "timed"]
            start = time.perf_counter()
            processes = [
                subprocess.Popen(timed, cwd=project, env=env, stdout=subprocess.PIPE, text=True)
                for _ in range(workers)
            ]
            outputs = [process.communicate()[0] for process in processes]
            elapsed = time.perf_counter() - start
            if any(process.returncode for process in processes):
                raise SystemExit(f"a sweep worker failed:\n{outputs}")
            ran = [sum(line.startswith("trial ") for line in o.splitlines()) for o in outputs]
            if sum(ran) != trials or (workers > 1 and min(ran) == 0):
                raise SystemExit(f"trials per worker {ran}, expected {trials} split")
            print(f"  round {round_number}: {workers} worker(s), trials {ran}, {elapsed:.1f} s")
            return elapsed

        times: dict[int, list[float]] = {1: [], 2: []}
        for round_number in range(runs * 2):
            workers = 1 + round_number % 2
            times[workers].append(sweep_round(workers, round_number))

    per_minute = {w: trials / statistics.median(t) * 60 for w, t in times.items()}
    print(f"\nsweep of {trials} trials, median of {runs} rounds each:")
    for workers, samples in times.items():
        median = statistics.median(samples)
        print(
            f"  {workers} worker(s): {median:6.1f} s  {per_minute[workers]:5.1f} trials/min"
            f"  (samples: {', '.join(f'{s:.1f}' for s in samples)})"
        )
    print(f"  ratio 2 workers / 1 worker: {per_minute[2] / per_minute[1]:.2f}x")


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds of each (default 3)")
    parser.add_argument("--trials", type=int, default=8, help="trials per study (default 8)")
    options = parser.parse_args()
    bench_sweep(options.runs, options.trials)


if __name__ == "__main__":
    main()
