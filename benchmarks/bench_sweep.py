"""Sweep throughput: ``.venv/bin/python -m benchmarks.bench_sweep [--runs N] [--trials N]``.

Run it from the repository root once ``python3 run_tests.py -m "not slow"`` has created
``.venv``. It bakes a default (uv) project in a temporary folder, runs ``make install``,
and times the project's ``sweep`` command on the default config (breast cancer, logistic
regression; TPE over ``C`` and ``clip``): ``--trials`` trials (default 16) of one new study,
run by 1 worker, then by 2 worker processes started together on the same study. Each round
has a fresh study (local journal file) and a fresh MLflow store (SQLite), created untimed
by one warm-up trial of another study, so no round pays for the store's creation.

A round's time is the wall time from starting the workers to the last one's exit, process
start-up (imports) included, as a user waiting for ``make sweep`` sees it: trials per
minute = trials / time x 60. Each worker's first trial also pays for imports and first
calls (several seconds), so the steady rate is printed too: trials finished after every
worker had finished its first one, per minute between that moment and the last trial.
``--runs`` rounds of each (default 3, alternating 1 2 1 2), medians printed side by side
with the ratio of 2 workers to 1. Every round is checked: the study has exactly
``--trials`` trials, split between the workers in the 2-worker rounds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path


def bench_sweep(runs: int, trials: int) -> None:
    """Bake a project, time its sweeps with 1 and 2 workers and print the medians."""
    from benchmarks.common import BIN, TEMPLATE_DIR, run, user_environment

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        run([str(BIN / "cookiecutter"), "--no-input", str(TEMPLATE_DIR)], cwd=out)
        project = out / "my-ml-project"
        run(["make", "install"], cwd=project)
        answers = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
        module = answers["context"]["cookiecutter"]["module_name"]
        python = str(project / ".venv" / "bin" / "python")

        def sweep_round(workers: int, round_number: int) -> tuple[float, float]:
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
            ends: list[list[float]] = [[] for _ in processes]  # when each trial line came
            readers = [
                threading.Thread(target=read_trials, args=(process, ends[i]))
                for i, process in enumerate(processes)
            ]
            for reader in readers:
                reader.start()
            for reader in readers:
                reader.join()
            elapsed = time.perf_counter() - start
            if any(process.wait() for process in processes):
                raise SystemExit("a sweep worker failed (its output is above)")
            ran = [len(times) for times in ends]
            if sum(ran) != trials or (workers > 1 and min(ran) == 0):
                raise SystemExit(f"trials per worker {ran}, expected {trials} split")
            # Steady state: from the moment every worker has finished its first trial (imports
            # and first-call costs paid) to the last trial.
            warm = max(times[0] for times in ends)
            later = sorted(t for times in ends for t in times if t > warm)
            steady = len(later) / (later[-1] - warm) * 60 if later else float("nan")
            print(
                f"  round {round_number}: {workers} worker(s), trials {ran}, {elapsed:.1f} s, "
                f"steady {steady:.1f} trials/min",
                flush=True,
            )
            return elapsed, steady

        times: dict[int, list[float]] = {1: [], 2: []}
        steady: dict[int, list[float]] = {1: [], 2: []}
        for round_number in range(runs * 2):
            workers = 1 + round_number % 2
            elapsed, rate = sweep_round(workers, round_number)
            times[workers].append(elapsed)
            steady[workers].append(rate)

    per_minute = {w: trials / statistics.median(t) * 60 for w, t in times.items()}
    warm = {w: statistics.median(r) for w, r in steady.items()}
    print(f"\nsweep of {trials} trials, median of {runs} rounds each:")
    for workers, samples in times.items():
        median = statistics.median(samples)
        print(
            f"  {workers} worker(s): {median:6.1f} s  {per_minute[workers]:5.1f} trials/min, "
            f"steady {warm[workers]:5.1f} trials/min"
            f"  (samples: {', '.join(f'{s:.1f}' for s in samples)} s)"
        )
    print(
        f"  ratio 2 workers / 1 worker: {per_minute[2] / per_minute[1]:.2f}x "
        f"(steady state: {warm[2] / warm[1]:.2f}x)"
    )


def read_trials(process: subprocess.Popen, ends: list[float]) -> None:
    """Note the time of each trial line a worker prints (printed once the trial is told)."""
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("trial "):
            ends.append(time.perf_counter())


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds of each (default 3)")
    parser.add_argument("--trials", type=int, default=16, help="trials per study (default 16)")
    options = parser.parse_args()
    bench_sweep(options.runs, options.trials)


if __name__ == "__main__":
    main()
