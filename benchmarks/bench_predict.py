"""Batch prediction benchmark: ``.venv/bin/python -m benchmarks.bench_predict [--runs N]``.

Run it from the repository root once ``python3 run_tests.py -m "not slow"`` has created
``.venv``. It bakes a default (uv) project in a temporary folder, runs ``make install``,
``make train`` and ``make promote``, writes two CSV files of the model's input columns
(rows of scikit-learn's breast-cancer data resampled with a seeded generator, plus an ``id``
column) of 100,000 and 1,000,000 rows, and times, alternately in the same run:

A. the project's ``python -m <module> predict FILE --keep id --output OUT --overwrite``
   (chunks of 50,000 rows, a tracked run; writes id, prediction and class scores);
B. ``mlflow models predict -m models:/<registered model>@champion -i FILE -o OUT
   --env-manager local --content-type csv`` on the same rows without ``id`` (MLflow refuses
   columns the model does not take); it writes ``{"predictions": [...]}`` (labels only).

For each command and file it prints the median wall time over ``--runs`` runs (default 3),
rows per second, and the peak resident memory of the command: the ``ru_maxrss`` of
``RUSAGE_CHILDREN`` read by a fresh helper process that only starts the command and waits
for it, so neither this script's memory nor the helper's own is counted. (``ru_maxrss`` of
children is the peak of the largest single descendant: both commands score in one process.)
Then the ratio of peak memory 1M / 100k for each command (goal for ours: flat, <= 1.2x),
the rows/s ratio ours / MLflow's, and a check that both wrote one prediction per row and
agree on the labels. A command that fails (e.g. out of memory) is reported as failed.

The file generation and the output check need numpy, pandas and scikit-learn: this same file
runs them inside the project's environment (the hidden ``--inner`` option), so the outer
script only needs the standard library.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SMALL_ROWS = 100_000
LARGE_ROWS = 1_000_000
WARM_UP_ROWS = 1_000
CHUNK_ROWS = 100_000  # rows generated and written at a time
MEMORY_GROWTH_GOAL = 1.2  # ours: peak memory on the large file / on the small one
SEED = 0

# Runs in a fresh interpreter: starts one command, waits, and reports the peak memory of
# the process tree it waited for (RUSAGE_CHILDREN), which excludes the helper itself.
MEASURE = """\
import json, resource, subprocess, sys, time
command, cwd = json.loads(sys.argv[1]), sys.argv[2]
start = time.perf_counter()
done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
seconds = time.perf_counter() - start
print(json.dumps({
    "seconds": seconds,
    "max_rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    "returncode": done.returncode,
    "output": (done.stdout[-1500:] + done.stderr[-1500:]) if done.returncode else "",
}))
"""


# --- Outer script: runs under the template's .venv, standard library only. ---------------


@dataclass
class Series:
    """The measurements of one command on one file."""

    label: str
    rows: int
    seconds: list[float] = field(default_factory=list)
    peaks_mib: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.seconds) and not self.failures

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)

    @property
    def median_peak(self) -> float:
        return statistics.median(self.peaks_mib)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.median_seconds


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    """Run ``command`` through a fresh helper process; return its seconds and peak memory."""
    helper = [sys.executable, "-c", MEASURE, json.dumps(command), str(cwd)]
    done = subprocess.run(helper, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def bench_predict(runs: int, small_rows: int, large_rows: int) -> int:
    """Set up a project and its input files, time both commands, print the comparison."""
    # Imported here, not at the top: common needs cookiecutter and pytest, which the
    # project's environment (where the --inner parts run) does not have.
    from benchmarks.common import BIN, TEMPLATE_DIR, run, user_environment

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        run([str(BIN / "cookiecutter"), "--no-input", str(TEMPLATE_DIR)], cwd=out)
        project = out / "my-ml-project"
        answers = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
        module = answers["context"]["cookiecutter"]["module_name"]
        config = (project / "configs" / "classification.yaml").read_text(encoding="utf-8")
        found = re.search(r"^registered_model:\s*(\S+)", config, flags=re.MULTILINE)
        if found is None:
            sys.exit("configs/classification.yaml names no registered_model")
        model_uri = f"models:/{found.group(1)}@champion"
        venv_bin = project / ".venv" / "bin"
        python = str(venv_bin / "python")
        # Both commands use the project's store; `mlflow models serve/predict` start
        # helpers by name, so the project's bin folder goes first on PATH.
        env = user_environment(
            MLFLOW_TRACKING_URI=f"sqlite:///{project / 'mlflow.db'}",
            MLFLOW_DISABLE_TELEMETRY="true",
        )
        env["PATH"] = f"{venv_bin}{os.pathsep}{env['PATH']}"

        print(f"Setting up {project.name}: make install, make train, make promote", flush=True)
        for target in ("install", "train", "promote"):
            run(["make", target], cwd=project, MLFLOW_TRACKING_URI="")

        def inner(part: str, *options: str) -> None:
            """Run one part of this script in the project's environment."""
            run([python, str(Path(__file__).resolve()), "--inner", part, *options], cwd=project)

        data = out / "data"
        data.mkdir()
        sizes = {"warm-up": WARM_UP_ROWS, "small": small_rows, "large": large_rows}
        files: dict[str, tuple[Path, Path]] = {}
        for name, rows in sizes.items():
            files[name] = (data / f"{name}.csv", data / f"{name}-no-id.csv")
            with_id, without_id = (str(path) for path in files[name])
            inner(
                "generate", "--rows", str(rows), "--with-id", with_id, "--without-id", without_id
            )
        for name in ("small", "large"):
            size_mib = files[name][0].stat().st_size / 2**20
            print(f"Input {name}: {sizes[name]:,} rows, {size_mib:.0f} MiB", flush=True)

        def ours(name: str) -> list[str]:
            source, output = files[name][0], data / f"ours-{name}.csv"
            options = ["--keep", "id", "--output", str(output), "--overwrite"]
            return [python, "-m", module, "predict", str(source), *options]

        def theirs(name: str) -> list[str]:
            source, output = files[name][1], data / f"mlflow-{name}.json"
            output.unlink(missing_ok=True)  # a stale file must not pass the check
            command = [str(venv_bin / "mlflow"), "models", "predict", "-m", model_uri]
            options = ["-i", str(source), "-o", str(output), "--content-type", "csv"]
            return [*command, *options, "--env-manager", "local"]

        commands = {
            "ours": (f"python -m {module} predict", ours),
            "mlflow": ("mlflow models predict", theirs),
        }
        # Untimed: compiles the bytecode of modules `make train` did not import.
        for _, build in commands.values():
            result = measure(build("warm-up"), project, env)
            if result["returncode"]:
                sys.exit(f"warm-up failed: {build('warm-up')}\n{result['output']}")

        series = {
            (who, name): Series(label, sizes[name])
            for name in ("small", "large")
            for who, (label, _) in commands.items()
        }
        print(f"Timing {runs} runs, alternating A B A B", flush=True)
        for number in range(1, runs + 1):
            for name in ("small", "large"):
                for who, (_, build) in commands.items():
                    one = series[who, name]
                    if one.failures:
                        continue  # failed once on this file: do not wait for it again
                    result = measure(build(name), project, env)
                    if result["returncode"]:
                        one.failures.append(
                            f"run {number}: exit code {result['returncode']}, peak "
                            f"{result['max_rss_kib'] / 1024:.0f} MiB\n{result['output']}"
                        )
                    else:
                        one.seconds.append(result["seconds"])
                        one.peaks_mib.append(result["max_rss_kib"] / 1024)
            print(f"    run {number} of {runs} done", flush=True)

        checks = {}
        for name in ("small", "large"):
            report_file = out / f"check-{name}.json"
            inner(
                "check",
                *("--rows", str(sizes[name]), "--out", str(report_file)),
                *("--ours", str(data / f"ours-{name}.csv")),
                *("--theirs", str(data / f"mlflow-{name}.json")),
            )
            checks[name] = json.loads(report_file.read_text(encoding="utf-8"))

    print_results(series, checks, runs)
    return 0 if all(one.ok for one in series.values()) else 1


def print_results(
    series: dict[tuple[str, str], Series], checks: dict[str, dict[str, Any]], runs: int
) -> None:
    """Print the table, the ratios and the output checks."""
    print()
    print(f"Batch prediction, medians over {runs} runs (wall time includes start-up)")
    header = f"{'command':<32} {'rows':>10} {'median s':>9} {'rows/s':>10} {'peak MiB':>9}"
    print(header)
    print("-" * len(header))
    for one in series.values():
        if not one.ok:
            print(f"{one.label:<32} {one.rows:>10,} FAILED")
            continue
        print(
            f"{one.label:<32} {one.rows:>10,} {one.median_seconds:>9.2f} "
            f"{one.rows_per_second:>10,.0f} {one.median_peak:>9.0f}"
        )
    for one in series.values():
        seconds = ", ".join(f"{value:.2f}" for value in one.seconds)
        peaks = ", ".join(f"{value:.0f}" for value in one.peaks_mib)
        print(f"    {one.label}, {one.rows:,} rows: seconds [{seconds}], peak MiB [{peaks}]")
        for failure in one.failures:
            print("    FAILED " + failure.replace("\n", "\n        "))
    print()

    for who in ("ours", "mlflow"):
        small, large = series[who, "small"], series[who, "large"]
        label = small.label
        if not (small.ok and large.ok):
            print(f"{label}: peak memory large / small: n/a (a run failed)")
            continue
        growth = large.median_peak / small.median_peak
        line = (
            f"{label}: peak memory {large.rows:,} / {small.rows:,} rows: {growth:.2f}x "
            f"({small.median_peak:.0f} -> {large.median_peak:.0f} MiB)"
        )
        if who == "ours":
            verdict = "PASS" if growth <= MEMORY_GROWTH_GOAL else "MISSED"
            line = f"{verdict}: {line} (goal <= {MEMORY_GROWTH_GOAL:g}x: flat)"
        print(line)
        # Throughput without the fixed start-up: the extra rows over the extra seconds.
        extra_seconds = large.median_seconds - small.median_seconds
        if extra_seconds > 0:
            extra = (large.rows - small.rows) / extra_seconds
            print(f"    marginal throughput, start-up excluded: {extra:,.0f} rows/s")
        else:
            print("    marginal throughput: n/a (the large file was not slower)")
    for name in ("small", "large"):
        ours, theirs = series["ours", name], series["mlflow", name]
        if ours.ok and theirs.ok:
            ratio = ours.rows_per_second / theirs.rows_per_second
            print(f"rows/s ours / mlflow's, {ours.rows:,} rows: {ratio:.2f}x")
    print()
    for name, check in checks.items():
        print(
            f"Output check, {name} file ({check['rows']:,} rows): ours {check['ours']}; "
            f"mlflow {check['theirs']}; labels agree: {check['agree']}"
        )


# --- Inner parts: run by the project's python, with numpy, pandas and scikit-learn. -------


def generate(rows: int, with_id: Path, without_id: Path) -> None:
    """Write ``rows`` resampled breast-cancer rows twice: with an ``id`` column, and without.

    Written in chunks, so generating a large file needs little memory. Both files hold the
    same rows in the same order.
    """
    import numpy as np
    from sklearn.datasets import load_breast_cancer

    features = load_breast_cancer(as_frame=True).data
    rng = np.random.default_rng(SEED)
    with (
        with_id.open("w", encoding="utf-8", newline="") as first,
        without_id.open("w", encoding="utf-8", newline="") as second,
    ):
        for start in range(0, rows, CHUNK_ROWS):
            count = min(CHUNK_ROWS, rows - start)
            chunk = features.iloc[rng.integers(0, len(features), count)].reset_index(drop=True)
            chunk.to_csv(second, header=start == 0, index=False)
            chunk.insert(0, "id", np.arange(start, start + count))
            chunk.to_csv(first, header=start == 0, index=False)


def check(rows: int, ours: Path, theirs: Path) -> dict[str, Any]:
    """Describe both outputs and compare their labels row by row."""
    import numpy as np
    import pandas as pd

    result: dict[str, Any] = {"rows": rows, "agree": "n/a"}
    our_labels = their_labels = None
    if ours.is_file():
        columns = list(pd.read_csv(ours, nrows=0).columns)
        table = pd.read_csv(ours, usecols=["id", "prediction"])
        ids_ok = bool(np.array_equal(table["id"].to_numpy(), np.arange(rows)))
        result["ours"] = f"CSV {len(table):,} rows, columns {columns}, ids in order: {ids_ok}"
        our_labels = table["prediction"].to_numpy()
    else:
        result["ours"] = "no output file"
    if theirs.is_file():
        text = theirs.read_text(encoding="utf-8")
        parsed = json.loads(text)
        keys = list(parsed) if isinstance(parsed, dict) else type(parsed).__name__
        predictions = parsed.get("predictions", []) if isinstance(parsed, dict) else parsed
        result["theirs"] = f"JSON {text[:30]!r}... keys {keys}, {len(predictions):,} predictions"
        their_labels = np.asarray(predictions)
    else:
        result["theirs"] = "no output file"
    if our_labels is not None and their_labels is not None:
        if len(our_labels) == len(their_labels) == rows:
            result["agree"] = f"{int((our_labels == their_labels).sum()):,} of {rows:,}"
        else:
            result["agree"] = f"row counts differ ({len(our_labels)} vs {len(their_labels)})"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--small-rows", type=int, default=SMALL_ROWS)
    parser.add_argument("--large-rows", type=int, default=LARGE_ROWS)
    # For the outer script's own use: run one part inside the project's environment.
    parser.add_argument("--inner", choices=("generate", "check"), help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--with-id", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--without-id", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ours", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--theirs", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not 0 < args.small_rows < args.large_rows:
        parser.error("need 0 < --small-rows < --large-rows")
    if args.inner == "generate":
        generate(args.rows, args.with_id, args.without_id)
    elif args.inner == "check":
        result = check(args.rows, args.ours, args.theirs)
        args.out.write_text(json.dumps(result), encoding="utf-8")
    else:
        sys.exit(bench_predict(args.runs, args.small_rows, args.large_rows))


if __name__ == "__main__":
    main()
