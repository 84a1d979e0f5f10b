"""The tracking server benchmark's parts that run inside the generated project's environment.

``bench_server`` runs this file with the project's interpreter (``python server_inner.py
--inner PART --module MODULE``): the parts import the project's package and MLflow, so this
file imports nothing of the template's own tooling. ``client`` is one of the benchmark's
client processes; ``prepare``, ``grant`` and ``check`` act as the server's admin.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import sys
import time
import traceback
from typing import Any, TextIO

USER = "bench-client"
ROUND_TAG = "bench.round"


@contextlib.contextmanager
def json_stdout() -> Any:
    """Send everything printed to stderr; yield the real stdout, for the JSON report only."""
    real = sys.stdout
    sys.stdout = sys.stderr
    try:
        yield real
    finally:
        sys.stdout = real


def emit(stream: TextIO, result: object) -> None:
    stream.write(json.dumps(result) + "\n")
    stream.flush()


def prepare(module: str, names: list[str]) -> dict[str, str]:
    """As admin: create the experiments through the project's store module; name -> id."""
    store = importlib.import_module(f"{module}.tracking.store")
    store.configure()
    return {name: store.set_experiment(name) for name in names}


def grant(module: str, names: list[str]) -> None:
    """As admin: give the benchmark's user EDIT on more experiments."""
    store = importlib.import_module(f"{module}.tracking.store")
    uri = store.configure()
    import mlflow
    from mlflow.server.auth.client import AuthServiceClient

    auth = AuthServiceClient(uri)
    client = mlflow.MlflowClient(uri)
    for name in names:
        experiment_id = client.get_experiment_by_name(name).experiment_id
        auth.grant_user_permission(USER, "experiment", experiment_id, "EDIT")


def client(module: str, number: int, runs: int, out: TextIO) -> None:
    """Answer the script's messages until stdin ends; each round logs ``runs`` timed runs.

    Prepared once, untimed, as a training process has it before it logs: the config, the
    data and its held-out split, the two MLflow dataset descriptions, and metrics of scores
    from a rule (the first feature's rank) instead of a fitted model.
    """
    import numpy as np

    config_module = importlib.import_module(f"{module}.config")
    blocks = importlib.import_module(f"{module}.blocks")
    recording = importlib.import_module(f"{module}.tracking.recording")
    runs_module = importlib.import_module(f"{module}.tracking.runs")
    steps = importlib.import_module(f"{module}.workflows.steps")
    evaluation_module = importlib.import_module(f"{module}.evaluation")

    config = config_module.load_config()
    dataset = blocks.build_dataset(config.dataset)
    split = steps.held_out(config, dataset)
    training = recording.rows_input(dataset, split.train_features, split.train_target)
    held_out_rows = recording.rows_input(dataset, split.test_features, split.test_target)
    rank = split.test_features.iloc[:, 0].rank(pct=True).to_numpy()
    scores = np.clip(np.column_stack([rank, 1 - rank]), 0.01, 0.99)
    labels = np.asarray(np.unique(split.test_target))[(scores[:, 1] >= 0.5).astype(int)]
    predictions = evaluation_module.Predictions(labels, scores)
    metrics = evaluation_module.classification_metrics(split.test_target, labels, scores)
    evaluation = evaluation_module.Evaluation(metrics=metrics)
    emit(out, {"started": number})

    experiment_id, round_id = None, ""
    while line := sys.stdin.readline():
        message = json.loads(line)
        if "experiment" in message:  # untimed: what the training workflow does before its run
            try:
                config = config_module.load_config(
                    overrides=[f"experiment={message['experiment']}"]
                )
                _, experiment_id = steps.open_experiment(config)
                round_id = message["round"]
                emit(out, {"ready": experiment_id})
            except Exception as error:
                emit(out, {"error": describe(error, module)})
            continue
        records = []
        for _ in range(runs):
            record: dict[str, Any] = {"start": time.time()}
            started = time.perf_counter()
            try:
                tags = {ROUND_TAG: round_id}
                with runs_module.tracked_run(experiment_id, "train", tags=tags) as run:
                    record["run_id"] = run.info.run_id
                    recording.log_config(config, dataset, split)
                    recording.log_inputs(training=training, evaluation=held_out_rows)
                    recording.log_evaluation(
                        evaluation, split.test_target, predictions, rows=held_out_rows
                    )
                    recording.log_report({"client": number, "round": round_id}, "bench_report")
            except Exception as error:  # reported, not raised: the other runs go on
                record["error"] = describe(error, module)
            record["seconds"] = time.perf_counter() - started
            record["end"] = time.time()
            records.append(record)
        emit(out, {"client": number, "metrics": sorted(metrics), "runs": records})


def describe(error: BaseException, module: str) -> str:
    """The error's type and message, where it was raised, and the project's line on the way."""
    frames = traceback.extract_tb(error.__traceback__)
    message = " ".join(str(error).split())[:400]
    text = f"{type(error).__name__}: {message}"
    if frames:
        last = frames[-1]
        text += f" (raised at {last.filename}:{last.lineno} in {last.name}"
        ours = [frame for frame in frames if f"/{module}/" in frame.filename]
        if ours:
            text += f"; project code {ours[-1].filename}:{ours[-1].lineno} in {ours[-1].name}"
        text += ")"
    return text


def check(module: str, experiments: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """As admin: every run of each experiment, with its status, metric names and inputs."""
    store = importlib.import_module(f"{module}.tracking.store")
    store.configure()
    import mlflow
    from mlflow.entities import ViewType

    client = mlflow.MlflowClient()
    found: dict[str, list[dict[str, Any]]] = {}
    for name, experiment_id in experiments.items():
        runs, token = [], None
        while True:
            page = client.search_runs(
                [experiment_id], run_view_type=ViewType.ALL, max_results=1000, page_token=token
            )
            runs.extend(page)
            token = page.token
            if not token:
                break
        found[name] = [
            {
                "run_id": run.info.run_id,
                "status": run.info.status,
                "metrics": sorted(run.data.metrics),
                "inputs": len(run.inputs.dataset_inputs),
            }
            for run in runs
        ]
    return found


def main() -> None:
    """Run one part, as ``bench_server`` asks; the part's JSON result on stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inner", choices=("prepare", "grant", "client", "check"), required=True)
    parser.add_argument("--module", required=True)
    parser.add_argument("--experiments")
    parser.add_argument("--client", type=int)
    parser.add_argument("--runs-per-client", type=int, default=1)
    args = parser.parse_args()
    with json_stdout() as out:
        if args.inner == "prepare":
            emit(out, prepare(args.module, json.loads(args.experiments)))
        elif args.inner == "grant":
            grant(args.module, json.loads(args.experiments))
            emit(out, "granted")
        elif args.inner == "client":
            client(args.module, args.client, args.runs_per_client, out)
        else:
            emit(out, check(args.module, json.loads(args.experiments)))


if __name__ == "__main__":
    main()
