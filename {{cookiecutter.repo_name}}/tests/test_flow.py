"""End to end: the experiment flow with the dummy blocks, against a temporary store."""

import mlflow
import pytest
from conftest import DummyModel

from {{ cookiecutter.module_name }} import flow, provenance
from {{ cookiecutter.module_name }}.datasets import split_dataset
from {{ cookiecutter.module_name }}.evaluation import classification_metrics
from {{ cookiecutter.module_name }}.paths import PROJECT_ROOT


def evaluation_digest(run):
    """The digest of the rows a run was evaluated on."""
    for item in run.inputs.dataset_inputs:
        if {(tag.key, tag.value) for tag in item.tags} >= {("mlflow.data.context", "evaluation")}:
            return item.dataset.digest
    raise AssertionError("the run has no evaluation input")


def test_train_tracks_a_complete_run(tracking_store, dummy_config, dummy_dataset):
    summary = flow.train(dummy_config)
    run = mlflow.get_run(summary.run_id)
    client = mlflow.MlflowClient()

    # Parameters: the flattened config and the dataset version.
    assert run.info.status == "FINISHED"
    assert run.data.params["model.margin"] == "0.0"
    assert run.data.params["split.seed"] == "7"
    assert run.data.params["dataset.version"] == dummy_dataset.version
    # Metrics, logged once.
    assert run.data.metrics == pytest.approx(summary.metrics)
    assert {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"} <= set(
        run.data.metrics
    )
    # Dataset inputs, named, for training and for evaluation.
    contexts = {tag.value for item in run.inputs.dataset_inputs for tag in item.tags} & {
        "training",
        "evaluation",
    }
    assert contexts == {"training", "evaluation"}
    assert {item.dataset.name for item in run.inputs.dataset_inputs} == {"dummy"}
    # Code version and environment.
    assert run.data.tags["git.dirty"] in {"true", "false", "unknown"}
    assert (
        run.data.tags.get("mlflow.source.git.commit") == provenance.git_state(PROJECT_ROOT).commit
    )
    assert run.data.tags["python.version"]
    artifacts = {item.path for item in client.list_artifacts(summary.run_id)}
    assert {"config.yaml", "environment", "evaluation", "figures"} <= artifacts
    # The model, registered with the candidate alias.
    version = client.get_model_version_by_alias("dummy-model", "candidate")
    assert summary.registered_uri == f"models:/dummy-model/{version.version}"

    # The reloaded model gives the logged metrics on the held-out rows.
    split = split_dataset(dummy_dataset, test_size=0.25, seed=7, stratify=True)
    model = DummyModel.load("models:/dummy-model@candidate")
    metrics = classification_metrics(
        split.test_target,
        model.predict(split.test_features),
        model.predict_proba(split.test_features),
    )
    assert metrics == pytest.approx(run.data.metrics, abs=1e-12)


def test_runs_are_reproducible_and_evaluated_on_the_same_rows(tracking_store, dummy_config):
    first = flow.train(dummy_config)
    second = flow.train(dummy_config)
    evaluation = flow.evaluate(dummy_config)  # the registered candidate: the second model

    runs = [mlflow.get_run(summary.run_id) for summary in (first, second, evaluation)]
    assert first.metrics == second.metrics == evaluation.metrics
    assert len({evaluation_digest(run) for run in runs}) == 1
    assert runs[2].data.tags["run_type"] == "evaluate"
