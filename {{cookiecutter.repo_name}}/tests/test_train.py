"""End to end: training and evaluating with the dummy blocks, against a temporary store."""

import mlflow
import pytest

from {{ cookiecutter.module_name }} import keys, provenance
from {{ cookiecutter.module_name }}.datasets import (
    content_digest,
    split_dataset,
)
from {{ cookiecutter.module_name }}.evaluation import classification_metrics
from {{ cookiecutter.module_name }}.paths import PROJECT_ROOT
from {{ cookiecutter.module_name }}.tracking import model_store
from {{ cookiecutter.module_name }}.tracking.runs import input_digest
from {{ cookiecutter.module_name }}.workflows.evaluate import evaluate
from {{ cookiecutter.module_name }}.workflows.train import train


def test_train_tracks_a_complete_run(tracking_store, dummy_config, dummy_dataset):
    summary = train(dummy_config)
    run = mlflow.get_run(summary.run_id)
    client = mlflow.MlflowClient()

    # Parameters: the flattened config and the dataset version.
    assert run.info.status == "FINISHED"
    assert run.data.tags["run_type"] == "train"
    assert run.data.params["model.margin"] == "0.0"
    assert run.data.params["split.seed"] == "7"
    assert run.data.params["dataset.version"] == dummy_dataset.version
    assert run.data.params["hyperparameters.margin"] == "0.0"
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
    split = split_dataset(dummy_dataset, test_size=0.25, seed=7, method="hash")
    held_out = content_digest(split.test_features, split.test_target)
    assert input_digest(run, "evaluation") == held_out
    model = model_store.load("models:/dummy-model@candidate").model
    metrics = classification_metrics(
        split.test_target,
        model.predict(split.test_features),
        model.predict_proba(split.test_features),
    )
    assert metrics == pytest.approx(run.data.metrics, abs=1e-12)


@pytest.mark.slow
def test_runs_are_reproducible_and_evaluated_on_the_same_rows(tracking_store, dummy_config):
    first = train(dummy_config)
    second = train(dummy_config)
    evaluation = evaluate(dummy_config)  # the registered candidate: the second model

    runs = [mlflow.get_run(summary.run_id) for summary in (first, second, evaluation)]
    assert first.metrics == second.metrics == evaluation.metrics
    assert len({input_digest(run, "evaluation") for run in runs}) == 1
    assert None not in {input_digest(run, "evaluation") for run in runs}
    assert runs[2].data.tags["run_type"] == "evaluate"


def test_a_failed_training_registers_nothing(tracking_store, dummy_config, monkeypatch):
    """The version is registered after the run has finished: a failure leaves no version."""

    def fail(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(model_store, "log_model", fail)
    with pytest.raises(RuntimeError, match="disk is full"):
        train(dummy_config)

    (run,) = mlflow.search_runs(experiment_names=["dummy-experiment"], output_format="list")
    assert run.info.status == "FAILED"
    assert mlflow.MlflowClient().search_model_versions("name='dummy-model'") == []


def test_a_model_that_does_not_reload_the_same_is_never_registered(
    tracking_store, dummy_config, monkeypatch
):
    """train loads the logged model back through the one loader and compares predictions."""
    stored_load = model_store.load

    def load_a_different_model(uri, **options):
        stored = stored_load(uri, **options)
        stored.model.threshold_ += 100  # as if the store held something else
        return stored

    monkeypatch.setattr(model_store, "load", load_a_different_model)
    with pytest.raises(model_store.ModelDoesNotReloadError, match="not registered"):
        train(dummy_config)

    (run,) = mlflow.search_runs(experiment_names=["dummy-experiment"], output_format="list")
    assert run.info.status == "FAILED"
    assert mlflow.MlflowClient().search_model_versions("name='dummy-model'") == []


def test_training_needs_a_trusted_signing_key(tracking_store, dummy_config, tmp_path, monkeypatch):
    monkeypatch.setenv(keys.PRIVATE_KEY_ENV, str(tmp_path / "nobody.pem"))
    with pytest.raises(keys.SigningKeyError, match="make keygen"):
        train(dummy_config)
    assert mlflow.search_runs(experiment_names=["dummy-experiment"], output_format="list") == []
