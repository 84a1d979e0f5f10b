"""Generated-project benchmarks: ``.venv/bin/python benchmarks/bench_project.py [--runs N]``.

Run it from the repository root once ``python3 run_tests.py -m "not slow"`` has created
``.venv``. It bakes a default (uv) project in a temporary folder, runs ``make install`` and
prints the median over ``--runs`` runs (default 5) of:

1. ``python -m <module> --help`` in the project's environment (goal <= 0.3 s).
2. ``make train`` on a project without a store, so the run creates ``mlflow.db`` and
   ``mlartifacts/`` (goal <= 5 s).
3. The tracking overhead of one run on an existing store: the tracked training workflow
   (``workflows.train.train``) against the same work untracked, in one process
   (goal <= 1 s).
4. The classification evaluator's metrics on 10 million binary predictions against
   scikit-learn's metric functions called one by one (goal: >= 3x faster, values within
   1e-12) and against ``mlflow.models.evaluate`` on the same predictions.

Parts 3 and 4 need MLflow, scikit-learn and the project's package: this same file runs
them inside the project's environment (the hidden ``--inner`` option), so the outer
script only needs the standard library.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HELP_GOAL = 0.3
TRAIN_GOAL = 5.0
OVERHEAD_GOAL = 1.0
SPEEDUP_GOAL = 3.0
DIFFERENCE_GOAL = 1e-12
ROWS = 10_000_000
SEED = 0


# --- Outer script: runs under the template's .venv, standard library only. ---------------


def bench_project(runs: int) -> None:
    """Bake a project, time its commands and report the inner measurements."""
    # Imported here, not at the top: common needs cookiecutter and pytest, which the
    # project's environment (where the --inner parts run) does not have.
    from common import BIN, TEMPLATE_DIR, median_seconds, report, run

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        run([str(BIN / "cookiecutter"), "--no-input", str(TEMPLATE_DIR)], cwd=out)
        project = out / "my-ml-project"
        run(["make", "install"], cwd=project)
        answers = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
        module = answers["context"]["cookiecutter"]["module_name"]
        python = str(project / ".venv" / "bin" / "python")

        # 1. CLI start-up. One untimed call first compiles the package's bytecode, as a
        # user's first call would.
        def show_help() -> None:
            run([python, "-m", module, "--help"], cwd=project)

        show_help()
        median, samples = median_seconds(show_help, runs)
        report(f"python -m {module} --help", median, samples, goal=HELP_GOAL)

        # 2. make train creating the store. An empty MLFLOW_TRACKING_URI makes the project
        # use its own mlflow.db even if the caller's shell points MLflow elsewhere.
        def delete_store() -> None:
            for name in ("mlflow.db", "mlflow.db.lock"):
                (project / name).unlink(missing_ok=True)
            shutil.rmtree(project / "mlartifacts", ignore_errors=True)

        def train() -> None:
            run(["make", "train"], cwd=project, MLFLOW_TRACKING_URI="")

        # The untimed first run compiles the bytecode of MLflow, scikit-learn and pandas
        # (uv installs without it), a one-off cost of a new environment, not of a project.
        train()
        median, samples = median_seconds(train, runs, setup=delete_store)
        report("make train on a fresh project (store created)", median, samples, goal=TRAIN_GOAL)

        def inner(part: str) -> dict[str, Any]:
            """Run one part of this script in the project's environment; return its results."""
            results = out / f"{part}.json"
            command = [python, str(Path(__file__).resolve()), "--inner", part, "--module", module]
            run([*command, "--runs", str(runs), "--out", str(results)], cwd=project)
            return json.loads(results.read_text(encoding="utf-8"))

        # 3. Tracking overhead, both sides measured in one process with imports paid.
        timings = inner("overhead")
        tracked = statistics.median(timings["tracked"])
        untracked = statistics.median(timings["untracked"])
        report("workflows.train.train, tracked, existing store", tracked, timings["tracked"])
        report("same work untracked (load, split, fit, evaluate)", untracked, timings["untracked"])
        overhead = tracked - untracked
        verdict = "PASS" if overhead <= OVERHEAD_GOAL else "MISSED"
        print(f"{verdict}: tracking overhead {overhead:.3f} s (goal <= {OVERHEAD_GOAL:g} s)")

        # 4. Metrics on 10 million predictions.
        timings = inner("metrics")
        ours = statistics.median(timings["ours"])
        sklearn = statistics.median(timings["sklearn"])
        report(f"classification_metrics + confusion_matrix, {ROWS:,} rows", ours, timings["ours"])
        report(
            f"scikit-learn one by one (7 functions), {ROWS:,} rows", sklearn, timings["sklearn"]
        )
        with_mlflow = statistics.median(timings["mlflow"])
        report(
            f"mlflow.models.evaluate, static predictions, {timings['mlflow_rows']:,} rows",
            with_mlflow,
            timings["mlflow"],
        )
        # Without a model MLflow gets no probabilities: it skips ROC AUC and log loss.
        print(f"    MLflow computed: {', '.join(timings['mlflow_metrics'])}")
        speedup = sklearn / ours
        verdict = "PASS" if speedup >= SPEEDUP_GOAL else "MISSED"
        print(
            f"{verdict}: speed-up vs scikit-learn one by one {speedup:.1f}x "
            f"(goal >= {SPEEDUP_GOAL:g}x); vs mlflow.models.evaluate {with_mlflow / ours:.1f}x"
        )
        difference = timings["max_difference"]
        verdict = "PASS" if difference <= DIFFERENCE_GOAL else "MISSED"
        print(
            f"{verdict}: max |ours - scikit-learn| {difference:.3g} over "
            f"{', '.join(timings['compared'])} (goal <= {DIFFERENCE_GOAL:g}); "
            f"confusion matrices equal: {timings['confusion_equal']}"
        )
        print(f"    max |MLflow - scikit-learn| {timings['mlflow_difference']:.3g}")


# --- Inner parts: run by the project's python, with its package, MLflow and scikit-learn. ---


def seconds(action: Callable[[], object]) -> tuple[float, Any]:
    """Return how long ``action`` took and what it returned."""
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def tracking_overhead(module: str, runs: int) -> dict[str, Any]:
    """Time the tracked training and the same work without MLflow, alternately, in one process."""
    import numpy as np

    config = importlib.import_module(f"{module}.config").load_config()
    workflow = importlib.import_module(f"{module}.workflows.train")
    store = importlib.import_module(f"{module}.tracking.store")
    blocks = importlib.import_module(f"{module}.blocks")
    datasets = importlib.import_module(f"{module}.datasets")

    def tracked() -> dict[str, float]:
        return workflow.train(config).metrics

    def untracked() -> dict[str, float]:
        # The workflow's steps through the package's public building blocks: what remains of a
        # tracked run is MLflow's work (store, params, tags, inputs, model, PNG figures).
        dataset = blocks.build_dataset(config.dataset)
        model = blocks.build_model(config.model)
        evaluator = blocks.build_evaluator(config.evaluator)
        split = datasets.split_dataset(
            dataset, config.split.test_size, config.split.seed, stratify=config.split.stratify
        )
        model.fit(split.train_features, split.train_target)
        predictions = np.asarray(model.predict(split.test_features))
        scores = model.predict_proba(split.test_features)
        return evaluator.evaluate(split.test_target, predictions, scores).metrics

    with tempfile.TemporaryDirectory() as folder:
        # The project's store module reads MLFLOW_TRACKING_URI: runs go to a scratch store,
        # never to the project's own mlflow.db.
        uri = f"sqlite:///{Path(folder) / 'mlflow.db'}"
        os.environ["MLFLOW_TRACKING_URI"] = uri
        if store.configure() != uri:
            raise SystemExit(f"the project's store ignores MLFLOW_TRACKING_URI={uri}")
        # Warm-up, untimed: creates the store, the experiment and the registered model.
        expected = tracked()
        if untracked() != expected:
            raise SystemExit("the untracked work does not give the tracked run's metrics")
        samples: dict[str, list[float]] = {"tracked": [], "untracked": []}
        for _ in range(runs):  # alternated, so a busy moment hits both sides alike
            for name, action in (("tracked", tracked), ("untracked", untracked)):
                elapsed, metrics = seconds(action)
                if metrics != expected:
                    raise SystemExit(f"{name} run gave other metrics: {metrics} != {expected}")
                samples[name].append(elapsed)
    return samples


def metric_comparison(module: str, runs: int) -> dict[str, Any]:
    """Time our metrics, scikit-learn's one by one and mlflow.models.evaluate on 10M rows."""
    import mlflow
    import numpy as np
    import pandas as pd
    from sklearn import metrics as sk

    classification = importlib.import_module(f"{module}.evaluation.classification")

    # Calibrated random scores, rounded so that many tie (the hard case for ROC AUC).
    rng = np.random.default_rng(SEED)
    y_score = np.round(rng.random(ROWS), 4)
    y_true = (rng.random(ROWS) < y_score).astype(np.int64)
    y_pred = (y_score >= 0.5).astype(np.int64)

    def ours() -> tuple[dict[str, float], Any]:
        metrics = classification.classification_metrics(y_true, y_pred, y_score)
        return metrics, classification.confusion_matrix(y_true, y_pred)[0]

    def one_by_one() -> tuple[dict[str, float], Any]:
        metrics = {
            "accuracy": sk.accuracy_score(y_true, y_pred),
            "precision": sk.precision_score(y_true, y_pred, zero_division=0),
            "recall": sk.recall_score(y_true, y_pred, zero_division=0),
            "f1": sk.f1_score(y_true, y_pred, zero_division=0),
            "roc_auc": sk.roc_auc_score(y_true, y_score),
            "log_loss": sk.log_loss(y_true, y_score),
        }
        return metrics, sk.confusion_matrix(y_true, y_pred)

    frame = pd.DataFrame({"label": y_true, "prediction": y_pred})

    def with_mlflow() -> dict[str, float]:
        # Static predictions: MLflow evaluates the columns without a model.
        return mlflow.models.evaluate(
            data=frame, predictions="prediction", targets="label", model_type="classifier"
        ).metrics

    samples: dict[str, list[float]] = {"ours": [], "sklearn": [], "mlflow": []}
    for _ in range(runs):
        elapsed, (our_values, our_matrix) = seconds(ours)
        samples["ours"].append(elapsed)
        elapsed, (reference, matrix) = seconds(one_by_one)
        samples["sklearn"].append(elapsed)
    with tempfile.TemporaryDirectory() as store:
        mlflow.set_tracking_uri(f"sqlite:///{Path(store) / 'mlflow.db'}")
        mlflow.set_experiment("bench")
        for _ in range(runs):
            with mlflow.start_run():  # outside the timing: the run's creation is not evaluation
                elapsed, mlflow_values = seconds(with_mlflow)
            samples["mlflow"].append(elapsed)

    mlflow_names = {
        "accuracy": "accuracy_score",
        "precision": "precision_score",
        "recall": "recall_score",
        "f1": "f1_score",
    }
    return {
        **samples,
        "compared": sorted(reference),
        "max_difference": max(abs(our_values[name] - reference[name]) for name in reference),
        "confusion_equal": bool(np.array_equal(our_matrix, matrix)),
        "mlflow_rows": len(frame),
        "mlflow_metrics": sorted(name for name in mlflow_names.values() if name in mlflow_values),
        "mlflow_difference": max(
            abs(mlflow_values[theirs] - reference[name])
            for name, theirs in mlflow_names.items()
            if theirs in mlflow_values
        ),
    }


INNER_PARTS = {"overhead": tracking_overhead, "metrics": metric_comparison}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    # For the outer script's own use: run one part inside the project's environment.
    parser.add_argument("--inner", choices=INNER_PARTS, help=argparse.SUPPRESS)
    parser.add_argument("--module", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.inner is None:
        bench_project(args.runs)
        return
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    results = INNER_PARTS[args.inner](args.module, args.runs)
    args.out.write_text(json.dumps(results), encoding="utf-8")


if __name__ == "__main__":
    main()
