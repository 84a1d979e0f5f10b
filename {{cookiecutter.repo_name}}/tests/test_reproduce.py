"""Reproduce: a logged run trained again from its own config gives the same metrics."""

from dataclasses import replace

import mlflow
import pytest
from conftest import make_config

from {{ cookiecutter.module_name }} import cli, provenance
from {{ cookiecutter.module_name }}.tracking import registry
from {{ cookiecutter.module_name }}.workflows import RefusedError
from {{ cookiecutter.module_name }}.workflows import reproduce as reproducing
from {{ cookiecutter.module_name }}.workflows.train import train

# Whole workflows against a real store: `make test-all`, not the fast `make test`.
pytestmark = pytest.mark.slow

CONFIG = make_config(rows=120)


def test_a_run_is_reproduced_exactly_and_linked_to_the_original(tracking_store):
    original = train(CONFIG)

    result = reproducing.reproduce(original.run_id, allow_mismatch=True)

    assert result.verdict == reproducing.IDENTICAL
    assert set(result.metrics) == set(original.metrics)
    assert all(again == value for value, again in result.metrics.values())
    run = mlflow.get_run(result.run.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["run_type"] == "reproduction"
    assert run.data.tags["reproduces"] == original.run_id
    assert run.data.tags["reproduction.verdict"] == "identical"
    assert run.data.metrics["reproduction.difference.accuracy"] == 0.0
    # The same config, seeds included; a reproduction registers nothing.
    logged = mlflow.get_run(original.run_id).data.params
    assert run.data.params["model.margin"] == logged["model.margin"]
    assert registry.version_by_alias("dummy-model", "candidate").run_id == original.run_id


def test_another_commit_or_dataset_is_refused_unless_allowed(tracking_store, monkeypatch):
    original = train(CONFIG)
    moved = provenance.GitState(commit="0" * 40, dirty=False)
    monkeypatch.setattr(reproducing.provenance, "git_state", lambda root: moved)

    with pytest.raises(RefusedError, match="commit") as refusal:
        reproducing.reproduce(original.run_id)
    assert "--allow-mismatch" in str(refusal.value)

    result = reproducing.reproduce(original.run_id, allow_mismatch=True)
    notes = mlflow.get_run(result.run.run_id).data.tags["reproduction.notes"]
    assert "0" * 40 in notes


def test_a_different_metric_is_reported_with_its_own_exit_status(tracking_store, capsys):
    original = train(CONFIG)
    # The stored metric no longer matches what the config trains.
    mlflow.MlflowClient().log_metric(original.run_id, "accuracy", 0.123)

    status = cli.main(["reproduce", original.run_id, "--allow-mismatch"])

    assert status == cli.ExitStatus.NOT_REPRODUCED == 5
    output = capsys.readouterr().out
    assert "0.123 -> " in output
    assert "Verdict: different" in output


def test_only_finished_training_runs_can_be_reproduced(tracking_store):
    with pytest.raises(RefusedError, match="No run"):
        reproducing.reproduce("0123456789abcdef0123456789abcdef")
    reproduction = reproducing.reproduce(train(CONFIG).run_id, allow_mismatch=True)
    with pytest.raises(RefusedError, match="only finished training runs"):
        reproducing.reproduce(reproduction.run.run_id)


def test_a_metric_within_tolerance_is_told_apart_from_identical():
    close = {"rmse": (1.0, 1.0 + 1e-12)}
    assert reproducing._verdict(close, tolerance=1e-9) == reproducing.WITHIN_TOLERANCE
    assert reproducing._verdict(close, tolerance=0.0) == reproducing.DIFFERENT
    assert reproducing._verdict({"rmse": (1.0, None)}, 1e-9) == reproducing.DIFFERENT


def test_a_run_is_reproduced_with_its_own_seed(tracking_store):
    original = train(replace(CONFIG, seed=3))
    assert mlflow.get_run(original.run_id).data.params["seed"] == "3"
    result = reproducing.reproduce(original.run_id, allow_mismatch=True)
    assert mlflow.get_run(result.run.run_id).data.params["seed"] == "3"
