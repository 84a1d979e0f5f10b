"""The tracked experiment flow in real generated environments (uv and venv + pip).

Slow: shares the installed projects of test_environments.py, trains the example
experiment several times and reads the MLflow store back through MLflow's own client.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from testkit.baking import user_environment
from testkit.running import free_port, read_store, run_by_id, run_id_of, wait_for_port

TRACKED_MANAGERS = ("uv", "venv")
CLASSIFICATION_METRICS = {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"}


@pytest.fixture(scope="module", params=TRACKED_MANAGERS)
def trained(request, installed_project) -> dict:
    """Train the default experiment twice and once with an overridden parameter."""
    project = installed_project(request.param)
    first = project.make("train")
    again = project.make("train")
    tuned = project.run("make", "train", "ARGS=model.params.C=0.1", timeout=900)
    return {
        "project": project,
        "output": first.stdout,
        "first": run_id_of(first.stdout),
        "again": run_id_of(again.stdout),
        "tuned": run_id_of(tuned.stdout),
    }


def test_train_prints_its_steps_and_where_to_see_the_run(trained):
    output = trained["output"]
    assert "make ui" in output
    assert "http://127.0.0.1:5000" in output
    assert len(output.strip().splitlines()) >= 5, "the flow should narrate its steps"


def test_store_is_the_projects_sqlite_file_with_artifacts_beside_it(trained):
    project = trained["project"]
    assert (project.path / "mlflow.db").is_file()
    run = run_by_id(read_store(project), trained["first"])
    assert Path(run["artifact_location"].removeprefix("file://")).is_relative_to(
        project.path / "mlartifacts"
    )
    # The store is ignored by git: a run never dirties the working tree.
    assert project.run("git", "status", "--porcelain").stdout.strip() == ""


def test_run_records_everything_needed_to_reproduce_it(trained):
    project = trained["project"]
    run = run_by_id(read_store(project), trained["first"])
    assert run["status"] == "FINISHED"
    params = run["params"]
    assert any(key.endswith("seed") and value == "42" for key, value in params.items()), params
    assert any(key.endswith("C") for key in params), params
    assert {key.split("test_", 1)[-1] for key in run["metrics"]} >= CLASSIFICATION_METRICS
    head = project.run("git", "rev-parse", "HEAD").stdout.strip()
    assert head in run["tags"].values(), "the git commit is not tagged"
    assert any("dirty" in key for key in run["tags"]), run["tags"]
    contexts = {item["tags"].get("mlflow.data.context") for item in run["inputs"]}
    assert {"training", "evaluation"} <= contexts, run["inputs"]
    assert all(item["digest"] for item in run["inputs"])
    artifacts = " ".join(run["artifacts"])
    assert artifacts.count(".png") >= 3, run["artifacts"]
    lock_or_requirements = ("uv.lock", "requirements.txt", "pyproject.toml")
    assert any(name in artifacts for name in lock_or_requirements), run["artifacts"]
    assert run["model_outputs"], "no model logged by the run"


def test_model_is_registered_with_the_candidate_alias(trained):
    project = trained["project"]
    store = read_store(project)
    (model,) = store["registered_models"]
    runs_with_versions = {version["run_id"] for version in model["versions"]}
    assert {trained["first"], trained["again"], trained["tuned"]} <= runs_with_versions
    latest = max(model["versions"], key=lambda version: int(version["version"]))
    assert model["aliases"].get("candidate") == latest["version"]


def test_same_config_and_seed_reproduce_the_same_metrics(trained):
    store = read_store(trained["project"])
    first, again = run_by_id(store, trained["first"]), run_by_id(store, trained["again"])
    assert first["metrics"] == again["metrics"]


def test_a_run_with_an_override_is_comparable_with_the_first(trained):
    store = read_store(trained["project"])
    first, tuned = run_by_id(store, trained["first"]), run_by_id(store, trained["tuned"])
    assert first["experiment"] == tuned["experiment"]
    changed = {k for k in first["params"] if first["params"][k] != tuned["params"].get(k)}
    # The override, as the config says it and as the estimator's hyperparameter.
    assert changed == {"model.params.C", "hyperparameters.logisticregression__C"}, changed
    assert {tuned["params"][name] for name in changed} == {"0.1"}
    assert {(i["name"], i["digest"]) for i in first["inputs"]} == {
        (i["name"], i["digest"]) for i in tuned["inputs"]
    }, "both runs must be evaluated on identical data"
    assert first["metrics"] != tuned["metrics"]


def test_train_from_a_sub_folder_writes_to_the_same_store(trained):
    project = trained["project"]
    before = len(read_store(project)["runs"])
    output = project.run(
        str(project.python), "-m", project.module_name, "train", cwd=project.path / "notebooks"
    ).stdout
    run_id_of(output)
    assert not (project.path / "notebooks" / "mlflow.db").exists()
    assert not (project.path / "notebooks" / "mlruns").exists()
    assert len(read_store(project)["runs"]) == before + 1


def test_evaluating_a_logged_model_agrees_with_training(trained):
    """Reload the first run's model, evaluate it on the held-out rows: same metrics."""
    project = trained["project"]
    model_uri = f"runs:/{trained['first']}/model"
    output = project.run(
        str(project.python), "-m", project.module_name, "evaluate", "--model-uri", model_uri
    ).stdout
    store = read_store(project)
    training, evaluation = run_by_id(store, trained["first"]), run_by_id(store, run_id_of(output))
    assert evaluation["run_id"] != training["run_id"]
    for name in CLASSIFICATION_METRICS:
        assert evaluation["metrics"][name] == pytest.approx(training["metrics"][name], abs=1e-12)


def test_example_notebook_executes(trained):
    project = trained["project"]
    notebook = project.path / "notebooks" / "01-explore-runs.ipynb"
    script = (
        "import sys, nbformat\n"
        "from nbclient import NotebookClient\n"
        "nb = nbformat.read(sys.argv[1], as_version=4)\n"
        "NotebookClient(nb, timeout=300, kernel_name='python3',\n"
        "               resources={'metadata': {'path': sys.argv[2]}}).execute()\n"
        "outputs = [o for c in nb.cells for o in c.get('outputs', [])]\n"
        "errors = [o for o in outputs if o.output_type == 'error']\n"
        "assert not errors, errors\n"
        "print('executed', len(nb.cells), 'cells')\n"
    )
    result = project.run(str(project.python), "-c", script, str(notebook), str(notebook.parent))
    assert "executed" in result.stdout
    # Executing it did not store outputs in the committed file.
    assert project.run("git", "status", "--porcelain", "notebooks").stdout.strip() == ""


def test_help_answers_without_importing_mlflow_or_scikit_learn(trained):
    project = trained["project"]
    script = (
        f"import sys\nfrom {project.module_name}.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('mlflow', 'sklearn', 'pandas') if m in sys.modules)\n"
        "print('heavy:', heavy)\n"
    )
    result = project.run(str(project.python), "-c", script)
    assert "train" in result.stdout
    assert "heavy: []" in result.stdout


def test_make_ui_serves_the_projects_runs(trained):
    project = trained["project"]
    port = free_port()
    ui = subprocess.Popen(
        ["make", "ui", f"ARGS=--port {port}"],
        cwd=project.path,
        env=user_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port(port)
        url = f"http://127.0.0.1:{port}/api/2.0/mlflow/runs/get?run_id={trained['first']}"
        with urllib.request.urlopen(url, timeout=30) as response:
            run = json.load(response)["run"]
        assert run["info"]["run_id"] == trained["first"]
        assert run["info"]["status"] == "FINISHED"
    finally:
        os.killpg(ui.pid, signal.SIGTERM)
        ui.wait(timeout=30)
