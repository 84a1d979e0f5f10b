"""Run inside a generated project's environment: dump its MLflow store as JSON.

Usage: ``<project>/.venv/bin/python store_query.py TRACKING_URI``. The template's tests
read the store through MLflow's own client, so they check what a user would see.
"""

from __future__ import annotations

import json
import sys

from mlflow import MlflowClient


def dump(tracking_uri: str) -> dict[str, object]:
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    experiments = [e for e in client.search_experiments() if e.name != "Default"]
    runs = []
    for experiment in experiments:
        for run in client.search_runs([experiment.experiment_id]):
            runs.append(
                {
                    "experiment": experiment.name,
                    "artifact_location": experiment.artifact_location,
                    "run_id": run.info.run_id,
                    "status": run.info.status,
                    "params": run.data.params,
                    "metrics": run.data.metrics,
                    "tags": run.data.tags,
                    "artifacts": sorted(
                        entry.path
                        for folder in client.list_artifacts(run.info.run_id)
                        for entry in (
                            client.list_artifacts(run.info.run_id, folder.path)
                            if folder.is_dir
                            else [folder]
                        )
                    ),
                    "inputs": [
                        {
                            "name": item.dataset.name,
                            "digest": item.dataset.digest,
                            "tags": {tag.key: tag.value for tag in item.tags},
                        }
                        for item in run.inputs.dataset_inputs
                    ],
                    "model_outputs": [o.model_id for o in (run.outputs.model_outputs or [])]
                    if run.outputs
                    else [],
                }
            )
    models = [
        {
            "name": model.name,
            "aliases": {alias: str(number) for alias, number in (model.aliases or {}).items()},
            "versions": [
                {"version": str(v.version), "run_id": v.run_id, "tags": dict(v.tags or {})}
                for v in client.search_model_versions(f"name='{model.name}'")
            ],
        }
        for model in client.search_registered_models()
    ]
    return {"runs": runs, "registered_models": models}


if __name__ == "__main__":
    print(json.dumps(dump(sys.argv[1])))
