"""The sweep workflow: Optuna trials as nested training runs, on a local journal storage."""

from __future__ import annotations

from dataclasses import replace

import mlflow
import optuna
import pytest
from conftest import make_config, write_config

from {{ cookiecutter.module_name }}.cli import main
from {{ cookiecutter.module_name }}.config import (
    ConfigError,
    SearchRange,
    SweepSpec,
)
from {{ cookiecutter.module_name }}.tracking import (
    recording,
    retries,
    runs,
    study_storage,
    sweep_runs,
)
from {{ cookiecutter.module_name }}.workflows import sweep as sweeping

# Whole workflows against a real store: `make test-all`, not the fast `make test`.
pytestmark = pytest.mark.slow


@pytest.fixture
def journal(tmp_path, monkeypatch):
    """Each test's studies in its own journal file, never the project's."""
    path = tmp_path / "optuna-journal.log"
    monkeypatch.setenv(study_storage.STORAGE_ENV, str(path))
    return path


def sweep_config(trials: int = 3):
    space = {"model.margin": SearchRange(type="float", low=-1.0, high=1.0)}
    return replace(make_config(), sweep=SweepSpec(params=space, trials=trials))


def children(parent_id: str):
    return mlflow.search_runs(
        search_all_experiments=True,
        filter_string=f"tags.mlflow.parentRunId = '{parent_id}'",
        output_format="list",
    )


def trial_params(study: str) -> list[dict]:
    storage, _ = study_storage.open_storage()
    trials = optuna.load_study(study_name=study, storage=storage).get_trials()
    return [t.params for t in sorted(trials, key=lambda t: t.number)]


def test_trials_are_nested_runs_under_one_parent_on_the_same_rows_with_the_best_recorded(
    tracking_store, journal
):
    summary = sweeping.sweep(sweep_config())

    assert (summary.finished, summary.budget) == (3, 3)
    trials = children(summary.parent.run_id)
    assert len(trials) == 3
    assert {run.data.tags[sweep_runs.SWEEP_TRIAL_TAG] for run in trials} == {"0", "1", "2"}
    assert {run.data.tags[runs.RUN_TYPE_TAG] for run in trials} == {"train"}
    parent = mlflow.get_run(summary.parent.run_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.tags[runs.RUN_TYPE_TAG] == sweep_runs.SWEEP_RUN_TYPE
    tags, metrics = parent.data.tags, parent.data.metrics
    assert float(tags[f"{sweep_runs.SWEEP_BEST_PREFIX}model.margin"]) == pytest.approx(
        summary.best.params["model.margin"]
    )
    assert metrics[f"best_{summary.metric}"] == pytest.approx(summary.best.value)
    assert tags["sweep.best_run_id"] == summary.best.run_id
    best_run = mlflow.get_run(summary.best.run_id)
    assert best_run.data.metrics[summary.metric] == pytest.approx(summary.best.value)
    assert str(journal) in tags["sweep.storage"]
    artifacts = {
        a.path for a in mlflow.MlflowClient().list_artifacts(parent.info.run_id, "figures")
    }
    assert "figures/optimization_history.png" in artifacts

    digests = {
        runs.input_digest(run, recording.EVALUATION) for run in children(summary.parent.run_id)
    }
    assert len(digests) == 1
    assert None not in digests
    assert parent.data.tags["sweep.same_held_out_rows"] == "True"
    assert parent.data.tags["sweep.held_out_digest"] == digests.pop()


def test_trials_register_nothing_unless_the_best_is_asked_for(tracking_store, journal):
    client = mlflow.MlflowClient()
    sweeping.sweep(sweep_config(trials=2), study_name="plain")
    assert client.search_model_versions() == []

    summary = sweeping.sweep(sweep_config(trials=2), study_name="best", register_best=True)

    versions = client.search_model_versions()
    assert len(versions) == 1
    candidate = client.get_model_version_by_alias("dummy-model", "candidate")
    assert candidate.run_id == summary.best.run_id
    assert summary.registered_uri == f"models:/dummy-model/{candidate.version}"


def test_the_same_command_adds_only_the_missing_trials(tracking_store, journal):
    first = sweeping.sweep(sweep_config(trials=2))
    again = sweeping.sweep(sweep_config(trials=3))

    assert again.parent.run_id == first.parent.run_id
    assert len(children(first.parent.run_id)) == 3
    assert sweeping.sweep(sweep_config(trials=3)).finished == 3


def test_a_parent_run_whose_creation_answer_was_lost_is_made_once(
    tracking_store, journal, monkeypatch
):
    """A busy server writes the parent run after the request timed out and the retry looked."""
    monkeypatch.setattr(retries.time, "sleep", lambda seconds: None)
    real_create_run = mlflow.MlflowClient.create_run
    late = []

    def create_run(client, experiment_id, *args, **kwargs):
        if (kwargs.get("tags") or {}).get(runs.RUN_TYPE_TAG) != sweep_runs.SWEEP_RUN_TYPE:
            return real_create_run(client, experiment_id, *args, **kwargs)  # the trials
        if not late:  # the first try: no answer in time
            late.append("timed out")
            raise TimeoutError("Read timed out")
        run = real_create_run(client, experiment_id, *args, **kwargs)
        late.append(real_create_run(client, experiment_id, *args, **kwargs).info.run_id)
        return run

    monkeypatch.setattr(mlflow.MlflowClient, "create_run", create_run)
    summary = sweeping.sweep(sweep_config(trials=1))

    parents = mlflow.search_runs(
        search_all_experiments=True,
        filter_string=f"tags.{runs.RUN_TYPE_TAG} = '{sweep_runs.SWEEP_RUN_TYPE}'",
        output_format="list",
    )
    assert [parent.info.run_id for parent in parents] == [summary.parent.run_id]
    twin = mlflow.get_run(late[1])
    assert (twin.info.lifecycle_stage, twin.info.status) == ("deleted", "KILLED")


def test_fresh_studies_with_the_same_seed_propose_the_same_trials(
    tracking_store, tmp_path, monkeypatch
):
    proposed = []
    for name in ("one", "two"):
        monkeypatch.setenv(study_storage.STORAGE_ENV, str(tmp_path / f"{name}.log"))
        sweeping.sweep(sweep_config(trials=2), study_name="repeat")
        proposed.append(trial_params("repeat"))

    assert proposed[0] == proposed[1]
    assert proposed[0][0] != proposed[0][1]


def test_a_config_without_a_search_space_gets_an_example(journal):
    with pytest.raises(ConfigError, match=r"no search space(.|\n)*sweep:(.|\n)*params:"):
        sweeping.sweep(make_config())


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"params": {"split.seed": {"type": "int", "low": 1, "high": 3}}}, "only the model"),
        ({"params": {"model.C": {"type": "float", "low": 2, "high": 1}}}, "low must be below"),
        ({"params": {"model.C": {"type": "float", "low": 0, "high": 1, "log": True}}}, "low > 0"),
        ({"params": {"model.C": {"type": "decimal", "low": 0, "high": 1}}}, "int or float"),
        ({"params": {"model.C": {"choices": []}}}, "non-empty list"),
        ({"params": {}}, "sweep:"),
        ({"params": {"model.C": {"choices": [1]}}, "trials": 0}, "at least 1"),
        ({"params": {"model.C": {"choices": [1]}}, "sampler": "grid"}, "tpe, random"),
    ],
)
def test_a_bad_search_space_is_refused_clearly(section, message):
    raw = make_config().to_dict()
    with pytest.raises(ConfigError, match=message):
        type(make_config()).from_dict({**raw, "sweep": section})


def test_a_search_space_reads_back_as_it_was_written():
    raw = {
        "params": {
            "model.params.C": {"type": "float", "low": 0.001, "high": 10.0, "log": True},
            "model.params.depth": {"type": "int", "low": 2, "high": 8, "step": 2},
            "model.params.kind": {"choices": ["a", "b"]},
        },
        "trials": 5,
    }
    spec = SweepSpec.parse(raw)
    assert spec is not None
    assert SweepSpec.parse(spec.to_dict()) == spec


def test_the_command_prints_the_best_trial_and_where_to_see_it(
    tracking_store, journal, tmp_path, capsys
):
    path = write_config(tmp_path, sweep_config(trials=3))
    assert main(["sweep", str(path), "--trials", "1"]) == 0
    out = capsys.readouterr().out
    assert "trial   0" in out
    assert "1 of 1 trials finished" in out
    assert "Best trial: 0" in out
    assert "make ui" in out


def test_the_command_refuses_a_config_without_a_search_space(journal, tmp_path, capsys):
    path = write_config(tmp_path, make_config())
    assert main(["sweep", str(path)]) == 2
    assert "add a 'sweep' section" in capsys.readouterr().err


@pytest.mark.parametrize(("pruner", "some_pruned"), [("none", False), ("median", True)])
def test_only_the_median_pruner_prunes(tracking_store, journal, pruner, some_pruned):
    # Every other trial is far worse: the median pruner marks those, `none` never does.
    space = {"model.margin": SearchRange(type="choice", choices=(0.0, 3.0))}
    spec = SweepSpec(params=space, trials=8, pruner=pruner, sampler="random")
    sweeping.sweep(replace(make_config(), sweep=spec), study_name=pruner)

    storage, _ = study_storage.open_storage()
    states = {t.state.name for t in optuna.load_study(study_name=pruner, storage=storage).trials}
    assert ("PRUNED" in states) is some_pruned
    assert "COMPLETE" in states
