"""The cost of the loop on growing data: ``.venv/bin/python -m benchmarks.bench_growing``.

Bakes a default (uv) project from this checkout and runs ``make install``; with ``--against
REV``, also one from that revision of this repository (a ``git worktree``), to compare.

- **Lineage** (this checkout): on a 1,000,000-row table of 30 numeric features, the time to
  fingerprint the rows, to split them by hash and by seeded shuffle, to log the lineage of a
  training run (signed arrays, in a scratch store) and the bytes it writes per row, against
  the time of the whole tracked ``train`` workflow on the same table.
- **promote on 100,000 held-out rows** (with ``--against``): a 400,000-row table, a champion
  and a worse challenger trained on it, then ``promote`` timed as a whole process in both
  projects in turn (A B A B), with the ratio of each pair.

Prints medians over ``--runs`` runs (default 3).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

LINEAGE_ROWS, PROMOTE_ROWS, FEATURES = 1_000_000, 400_000, 30
CONFIG = """\
experiment: growing-bench
registered_model: growing-bench
dataset: {{type: file, path: {path}, target: label}}
model: {model}
evaluator: classification
split: {{test_size: 0.25}}
promotion: {{metric: roc_auc, resamples: 200}}
"""

# The champion, and a challenger that loses on every run (ROC AUC 0.5), so that each timed
# promotion does the same work in every version of the template.
MODELS = {
    "1.0": "{type: sklearn, estimator: sklearn.linear_model.LogisticRegression, "
    "params: {C: 1.0, max_iter: 200}}",
    "worse": "{type: sklearn, estimator: sklearn.dummy.DummyClassifier, "
    "params: {strategy: prior}}",
}


def project_from(template: Path, out: Path) -> Path:
    """Bake and install a project from a template checkout; return its folder."""
    from benchmarks.common import BIN, run

    out.mkdir(parents=True)
    run([str(BIN / "cookiecutter"), "--no-input", str(template)], cwd=out)
    project = out / "my-ml-project"
    run(["make", "install"], cwd=project)
    return project


def write_table(path: Path, rows: int) -> None:
    """A seeded table of numeric features and a 0/1 label, as Parquet."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    features = rng.normal(size=(rows, FEATURES))
    label = (features[:, :5].sum(axis=1) + rng.normal(size=rows) > 0).astype(int)
    frame = pd.DataFrame(features, columns=[f"x{i}" for i in range(FEATURES)])
    frame.assign(label=label).to_parquet(path)


def in_project(project: Path, *args: str) -> None:
    """Run this script with the project's Python (it has numpy, pandas and the project)."""
    from benchmarks.common import run

    run([str(project / ".venv/bin/python"), __file__, *args], cwd=project)


def cli(project: Path, *args: str, store: Path, expect: int = 0) -> float:
    """Run ``python -m my_ml_project ARGS`` in a project; return its wall time."""
    from benchmarks.common import user_environment

    command = [str(project / ".venv/bin/python"), "-m", "my_ml_project", *args]
    environment = user_environment(MLFLOW_TRACKING_URI=f"sqlite:///{store}")
    started = time.perf_counter()
    done = subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != expect:
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return seconds


def bench_lineage(project: Path, scratch: Path, runs: int) -> None:
    from benchmarks.common import report, run

    table = scratch / "lineage.parquet"
    in_project(project, "--table", str(table), "--rows", str(LINEAGE_ROWS))
    results = scratch / "lineage.json"
    python = str(project / ".venv/bin/python")
    run(
        [python, __file__, "--inner", str(table), "--runs", str(runs), "--out", str(results)],
        cwd=project,
    )
    timings = json.loads(results.read_text(encoding="utf-8"))
    for name in ("fingerprints", "hash split", "random split", "log lineage", "train"):
        samples = timings[name]
        report(f"{name} ({LINEAGE_ROWS:,} rows)", statistics.median(samples), samples)
    share = statistics.median(timings["fingerprints"]) + statistics.median(timings["log lineage"])
    print(
        f"lineage: {timings['bytes'] / LINEAGE_ROWS:.2f} bytes a row written "
        f"({timings['bytes']:,} bytes); fingerprints + logging = "
        f"{share / statistics.median(timings['train']):.1%} of a tracked train",
        flush=True,
    )


def inner(table: Path, runs: int, out: Path) -> None:
    """In the project's environment: time the lineage steps with its own modules."""
    import mlflow
    from my_ml_project.config import parse_config
    from my_ml_project.datasets import TabularFileDataset, dataset_fingerprints, split_dataset
    from my_ml_project.tracking import run_lineage
    from my_ml_project.workflows.train import train

    dataset = TabularFileDataset(str(table), target="label")
    len(dataset)  # read once, outside the timings
    steps = ("fingerprints", "hash split", "random split", "log lineage", "train")
    timings: dict[str, list] = {name: [] for name in steps}
    with tempfile.TemporaryDirectory() as scratch:
        mlflow.set_tracking_uri(f"sqlite:///{scratch}/mlflow.db")
        config = parse_config(CONFIG.format(path=table, model=MODELS["1.0"]))
        for _ in range(runs):
            for name, step in (
                ("fingerprints", lambda: dataset_fingerprints(dataset)),
                ("hash split", lambda: split_dataset(dataset, 0.25, 42, method="hash")),
                ("random split", lambda: split_dataset(dataset, 0.25, 42, method="random")),
            ):
                started = time.perf_counter()
                step()
                timings[name].append(time.perf_counter() - started)
            split = split_dataset(dataset, 0.25, 42, method="hash")
            with mlflow.start_run() as active:
                started = time.perf_counter()
                run_lineage.log_lineage(split)
                timings["log lineage"].append(time.perf_counter() - started)
            folder = Path(
                mlflow.artifacts.download_artifacts(
                    run_id=active.info.run_id, artifact_path="lineage"
                )
            )
            timings["bytes"] = sum(path.stat().st_size for path in folder.glob("*.npy"))
            started = time.perf_counter()
            train(config, register=False)
            timings["train"].append(time.perf_counter() - started)
    out.write_text(json.dumps(timings), encoding="utf-8")


def bench_promote(projects: dict[str, Path], scratch: Path, runs: int) -> None:
    """Time ``promote`` on 100,000 held-out rows in each project, in turn."""
    from benchmarks.common import report

    table = scratch / "promote.parquet"
    in_project(next(iter(projects.values())), "--table", str(table), "--rows", str(PROMOTE_ROWS))
    stores, configs = {}, {}
    for name, project in projects.items():
        stores[name] = scratch / f"{name}.db"
        configs[name] = {c: scratch / f"{name}-{c}.yaml" for c in MODELS}
        for c, path in configs[name].items():
            path.write_text(CONFIG.format(path=table, model=MODELS[c]), encoding="utf-8")
        cli(project, "train", str(configs[name]["1.0"]), store=stores[name])
        cli(project, "promote", str(configs[name]["1.0"]), store=stores[name])
        cli(project, "train", str(configs[name]["worse"]), store=stores[name])
    samples: dict[str, list[float]] = {name: [] for name in projects}
    for _ in range(runs):
        for name, project in projects.items():
            # Exit status 3: the worse challenger loses every time, so each run does the same.
            promote = ("promote", str(configs[name]["1.0"]))
            samples[name].append(cli(project, *promote, store=stores[name], expect=3))
    for name, values in samples.items():
        report(
            f"promote on {PROMOTE_ROWS // 4:,} held-out rows, {name}",
            statistics.median(values),
            values,
        )
    if len(samples) == 2:
        (a, first), (b, second) = samples.items()
        ratios = [x / y for x, y in zip(first, second, strict=True)]
        print(f"ratio {a} / {b}: median {statistics.median(ratios):.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--against", metavar="REV", help="also bake this revision, to compare")
    parser.add_argument("--inner", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--table", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.table:
        write_table(arguments.table, arguments.rows)
        return
    if arguments.inner:
        inner(arguments.inner, arguments.runs, arguments.out)
        return
    from benchmarks.common import TEMPLATE_DIR

    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        projects = {"now": project_from(TEMPLATE_DIR, scratch / "now")}
        bench_lineage(projects["now"], scratch, arguments.runs)
        if arguments.against:
            worktree = scratch / "before-template"
            subprocess.run(
                ["git", "worktree", "add", "--detach", str(worktree), arguments.against],
                cwd=TEMPLATE_DIR,
                check=True,
                capture_output=True,
            )
            try:
                projects[arguments.against] = project_from(worktree, scratch / "before")
                bench_promote(projects, scratch, arguments.runs)
            finally:
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(worktree)],
                    cwd=TEMPLATE_DIR,
                    check=False,
                )


if __name__ == "__main__":
    main()
