"""The loop on data that grows, in a real uv project: two retrain cycles, every decision checked.

Slow: the session's installed uv project, its runs in a SQLite store of this test's own. The
breast-cancer rows, shuffled once, arrive in three parts: 300 rows to start, then 130 and 139
labelled rows appended to the dataset file, each also given to `retrain` as the batch.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from testkit.baking import BakedProject, user_environment

NOTHING_TO_DO, REFUSED, KEPT, BELOW_FLOOR, RETRAINED = 0, 2, 3, 6, 7

# Run in the project: the shuffled breast-cancer rows, in three parts, as CSV files.
WRITE_PARTS = """
import sys
from pathlib import Path
from sklearn.datasets import load_breast_cancer

rows = load_breast_cancer(as_frame=True).frame.sample(frac=1.0, random_state=3)
folder = Path(sys.argv[1])
rows.iloc[:300].to_csv(folder / "tumours.csv", index=False)
rows.iloc[300:430].to_csv(folder / "part1.csv", index=False)
rows.iloc[430:].to_csv(folder / "part2.csv", index=False)
"""

# Run in the project: every promotion's compared rows against both models' training rows,
# from the lineage artifacts, and every retrain and promotion decision, as JSON.
AUDIT = """
import json, sys
import mlflow
import numpy as np

client = mlflow.MlflowClient()

def array(run_id, name):
    folder = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="lineage")
    return np.load(f"{folder}/{name}.npy")

def trained_by(version):
    return array(client.get_model_version("growing-model", version).run_id, "trained")

runs = mlflow.search_runs(experiment_names=["growing"], output_format="list",
                          order_by=["attributes.start_time ASC"])
promotions, retrains = [], []
for run in runs:
    tags, params = run.data.tags, run.data.params
    if tags.get("run_type") == "promotion":
        versions = [params["challenger_version"]]
        if params["champion_version"] != "none":
            versions.append(params["champion_version"])
        compared = array(run.info.run_id, "compared")
        promotions.append({
            "decision": tags["decision"], "versions": versions, "compared": len(compared),
            "params": {k: v for k, v in params.items() if k.startswith("rows")},
            "seen": {v: int(np.isin(compared, trained_by(v)).sum()) for v in versions},
        })
    elif tags.get("run_type") == "retrain":
        retrains.append({"decision": tags["decision"], "story": tags["story"]})
print(json.dumps({"promotions": promotions, "retrains": retrains}))
"""


@pytest.fixture(scope="module")
def project(installed_project) -> BakedProject:
    return installed_project("uv")


def run(project: BakedProject, env: dict, *args: str) -> subprocess.CompletedProcess[str]:
    return project.run(str(project.python), *args, check=False, env=env, timeout=900)


def test_two_retrain_cycles_decide_on_rows_neither_model_trained_on(project, tmp_path):
    env = user_environment(MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path / 'mlflow.db'}")
    run(project, env, "-c", WRITE_PARTS, str(tmp_path))
    config = yaml.safe_load((project.path / "configs/classification.yaml").read_text())
    config.update(
        experiment="growing",
        registered_model="growing-model",
        dataset={"type": "file", "path": str(tmp_path / "tumours.csv"), "target": "target"},
    )
    config_file = tmp_path / "growing.yaml"
    config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    data = tmp_path / "tumours.csv"

    def command(*args: str) -> subprocess.CompletedProcess[str]:
        return run(project, env, "-m", project.module_name, *args)

    def append(part: str) -> Path:
        batch = tmp_path / part
        data.write_text(data.read_text() + "".join(batch.read_text().splitlines(True)[1:]))
        return batch

    # Day 0: a model that always predicts the majority class is below the floor (ROC AUC
    # 0.5 < 0.9): never promoted, even as the first model. Without the floor, it is.
    baseline = ["model.estimator=sklearn.dummy.DummyClassifier", "model.params={}"]
    assert command("train", str(config_file), *baseline).returncode == 0
    floor = command("promote", str(config_file))
    assert floor.returncode == BELOW_FLOOR, floor.stdout + floor.stderr
    assert command("promote", str(config_file), "promotion.minimum={}").returncode == 0

    # Cycle 1: 130 labelled rows arrive. The batch is like the training data: nothing to do.
    batch = append("part1.csv")
    quiet = command("retrain", str(batch), str(config_file), "monitor.max_metric_drop=1.0")
    assert quiet.returncode == NOTHING_TO_DO, quiet.stdout + quiet.stderr
    # Asked to retrain all the same, a real model beats the majority class: promoted.
    retrained = command("retrain", str(batch), str(config_file), "--always")
    assert retrained.returncode == RETRAINED, retrained.stdout + retrained.stderr

    # Cycle 2: 139 more rows. A margin no model can clear keeps the champion.
    batch = append("part2.csv")
    kept = command("retrain", str(batch), str(config_file), "promotion.margin=0.5", "--always")
    assert kept.returncode == KEPT, kept.stdout + kept.stderr
    # A batch without a feature is refused in one line, and recorded.
    broken = tmp_path / "broken.csv"
    broken.write_text(
        "\n".join(",".join(line.split(",")[1:]) for line in batch.read_text().splitlines())
    )
    refused = command("retrain", str(broken), str(config_file))
    assert refused.returncode == REFUSED
    assert refused.stderr.strip().startswith("error: broken.csv lacks the model's feature")

    audit = json.loads(run(project, env, "-c", AUDIT).stdout.strip().splitlines()[-1])
    assert [p["decision"] for p in audit["promotions"]] == [
        "below_floor", "promoted", "promoted", "kept",
    ]  # fmt: skip
    assert [r["decision"] for r in audit["retrains"]] == [
        "nothing_to_do", "retrained_and_promoted", "retrained_champion_kept", "refused",
    ]  # fmt: skip
    # Both comparisons across data versions were made on rows neither model trained on,
    # as the lineage artifacts show, and the run says where those rows come from.
    for promotion in audit["promotions"][2:]:
        assert set(promotion["seen"].values()) == {0}, promotion
        params = promotion["params"]
        assert params["rows.selection"] == "held-out rows neither model trained on"
        assert int(params["rows.compared"]) == promotion["compared"] >= 30
        assert int(params["rows.new_since_champion"]) > 0  # the appended rows count
        assert params["rows.trained_on_by.champion"] == "0"  # the hash split kept them apart
