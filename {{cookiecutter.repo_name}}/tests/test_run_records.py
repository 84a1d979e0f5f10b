"""What the UI shows: model-training experiments, named runs, described registered versions."""

import mlflow
import pytest
from conftest import write_config

from {{ cookiecutter.module_name }} import cli
from {{ cookiecutter.module_name }}.tracking import store
from {{ cookiecutter.module_name }}.tracking.runs import input_digest
from {{ cookiecutter.module_name }}.workflows.evaluate import evaluate
from {{ cookiecutter.module_name }}.workflows.train import train

# Whole workflows against a real store: `make test-all`, not the fast `make test`.
pytestmark = pytest.mark.slow


def test_experiments_open_as_model_training(tracking_store):
    client = mlflow.MlflowClient()
    new = store.set_experiment("new")
    older = client.create_experiment("created-elsewhere")  # no kind, as before this project
    guessed = client.create_experiment(
        "guessed", tags={store.EXPERIMENT_KIND_TAG: "genai_development_inferred"}
    )
    chosen = client.create_experiment(
        "chosen", tags={store.EXPERIMENT_KIND_TAG: "genai_development"}
    )
    for name in ("created-elsewhere", "guessed", "chosen", "new"):
        store.set_experiment(name)

    def kind(experiment_id: str) -> str:
        return client.get_experiment(experiment_id).tags[store.EXPERIMENT_KIND_TAG]

    assert kind(new) == kind(older) == kind(guessed) == store.MODEL_TRAINING_KIND
    assert kind(chosen) == "genai_development"  # a kind someone chose is kept


def test_runs_are_named_and_described(tracking_store, dummy_config):
    named = train(dummy_config, run_name="baseline", description="the first try")
    default = train(dummy_config)
    evaluation = evaluate(dummy_config, description="again")

    runs = {s.run_id: mlflow.get_run(s.run_id) for s in (named, default, evaluation)}
    assert runs[named.run_id].info.run_name == "baseline"
    assert runs[named.run_id].data.tags["mlflow.note.content"] == "the first try"
    assert runs[default.run_id].info.run_name == "DummyModel seed=7"
    assert runs[evaluation.run_id].info.run_name == "evaluate dummy-model@candidate seed=7"
    assert runs[evaluation.run_id].data.tags["mlflow.note.content"] == "again"
    assert "workflowType=machine_learning" in named.url


def test_the_command_line_names_runs_after_their_overrides(tracking_store, dummy_config, tmp_path):
    config = str(write_config(tmp_path, dummy_config))
    assert cli.main(["train", config, "model.margin=0.5"]) == 0
    assert cli.main(["train", config, "--run-name", "mine", "--description", "a note"]) == 0

    runs = mlflow.search_runs(experiment_names=["dummy-experiment"], output_format="list")
    assert {run.info.run_name for run in runs} == {"DummyModel margin=0.5 seed=7", "mine"}
    (noted,) = (run for run in runs if run.info.run_name == "mine")
    assert noted.data.tags["mlflow.note.content"] == "a note"


def test_registered_versions_carry_a_description_and_their_metrics(tracking_store, dummy_config):
    summary = train(dummy_config, run_name="baseline")
    version = mlflow.MlflowClient().get_model_version_by_alias("dummy-model", "candidate")

    accuracy = summary.metrics["accuracy"]
    rows = int(mlflow.get_run(summary.run_id).data.params["split.test_rows"])
    assert version.description == (
        f"baseline, trained in run {summary.run_id}; accuracy {accuracy:.4g} on {rows} "
        "held-out rows"
    )
    assert set(version.tags) >= set(summary.metrics)
    assert float(version.tags["accuracy"]) == round(accuracy, 4)


def test_the_three_data_digests_are_named(tracking_store, dummy_config, dummy_dataset):
    run = mlflow.get_run(train(dummy_config).run_id)
    params = run.data.params

    assert params["dataset.version"] == dummy_dataset.version  # the whole dataset
    assert params["split.train_digest"] == input_digest(run, "training")
    assert params["split.test_digest"] == input_digest(run, "evaluation")
    digests = {
        params["dataset.version"],
        params["split.train_digest"],
        params["split.test_digest"],
    }
    assert len(digests) == 3
