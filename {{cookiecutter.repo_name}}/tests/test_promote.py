"""Promotion: the challenger replaces the champion only if it wins on the same rows."""

from dataclasses import replace

import mlflow
import numpy as np
import pytest
from conftest import make_config, write_config

from {{ cookiecutter.module_name }} import blocks, cli
from {{ cookiecutter.module_name }}.config import PromotionSpec
from {{ cookiecutter.module_name }}.datasets import content_digest
from {{ cookiecutter.module_name }}.evaluation import MetricComparison, gate
from {{ cookiecutter.module_name }}.tracking import (
    champions,
    model_store,
    registry,
    run_lineage,
)
from {{ cookiecutter.module_name }}.workflows import RefusedError, steps
from {{ cookiecutter.module_name }}.workflows.promote import promote
from {{ cookiecutter.module_name }}.workflows.train import train

# Whole workflows against a real store: `make test-all`, not the fast `make test`.
pytestmark = pytest.mark.slow

BEST = make_config(margin=0.0, rows=200)
WORSE = make_config(margin=1.5, rows=200)


def champion():
    return registry.version_by_alias("dummy-model", registry.CHAMPION_ALIAS)


def test_first_candidate_becomes_champion_with_its_baseline(tracking_store):
    trained = train(BEST)
    decision = promote(BEST)

    assert decision.promoted
    assert decision.champion is None
    assert "no champion yet" in decision.reason
    version = champion()
    assert str(version.version) == decision.challenger == "1"
    # The baseline stored on the version is the challenger's score in the promotion run.
    assert champions.baseline(version) == pytest.approx(trained.metrics, abs=1e-12)
    run = mlflow.get_run(decision.run.run_id)
    assert run.data.tags["run_type"] == "promotion"
    assert run.data.tags["decision"] == "promoted"
    assert run.data.metrics["challenger.accuracy"] == pytest.approx(trained.metrics["accuracy"])
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id, "figures")}
    assert "figures/challenger_vs_champion.png" in artifacts


def test_the_config_can_reverse_the_metric_direction(tracking_store):
    lower_is_better = replace(WORSE.promotion, higher_is_better=False, margin=0.0)
    train(BEST)
    promote(BEST)
    train(WORSE)

    decision = promote(replace(WORSE, promotion=lower_is_better))

    assert decision.promoted  # a lower accuracy wins when the config says lower is better
    assert decision.comparison.improvement > 0
    assert not decision.comparison.higher_is_better


def test_a_worse_challenger_leaves_the_champion_in_place(tracking_store, tmp_path, capsys):
    train(BEST)
    promote(BEST)
    train(WORSE)

    decision = promote(WORSE)

    assert not decision.promoted
    assert str(champion().version) == "1"
    comparison = decision.comparison
    assert comparison.improvement < 0
    assert comparison.interval[0] <= comparison.improvement <= comparison.interval[1]
    assert f"{comparison.challenger:.4f}" in decision.reason
    assert f"{comparison.reference:.4f}" in decision.reason
    run = mlflow.get_run(decision.run.run_id)
    assert run.data.tags["decision"] == "kept"
    assert {"challenger.accuracy", "champion.accuracy", "improvement"} <= set(run.data.metrics)
    # The command line says so, with its own exit status.
    assert cli.main(["promote", str(write_config(tmp_path, WORSE))]) == 3
    assert "Not promoted" in capsys.readouterr().out


def test_a_better_challenger_becomes_champion(tracking_store):
    train(WORSE)
    promote(WORSE)
    train(BEST)

    decision = promote(BEST)

    assert decision.promoted, decision.reason
    assert decision.comparison.improvement >= BEST.promotion.margin
    assert str(champion().version) == "2"
    assert champions.baseline(champion())["accuracy"] == decision.comparison.challenger


def test_already_champion_is_success(tracking_store, tmp_path):
    train(BEST)
    promote(BEST)
    assert promote(BEST).promoted
    assert cli.main(["promote", str(write_config(tmp_path, BEST))]) == 0


def test_models_split_differently_compare_only_on_rows_neither_trained_on(tracking_store):
    train(BEST)
    promote(BEST)
    other_split = make_config(margin=0.0, rows=200, split_seed=3)
    train(other_split)

    # Most of today's held-out rows trained the challenger (another seed): too few remain.
    with pytest.raises(RefusedError, match=r"only (\d+) of today's (\d+) held-out rows") as error:
        promote(BEST)
    assert "promotion.min_rows is 30" in str(error.value)
    assert "--allow-other-rows" in str(error.value)
    assert str(champion().version) == "1"

    # With a lower minimum, they are compared on exactly the rows neither trained on.
    few = replace(BEST, promotion=replace(BEST.promotion, min_rows=5))
    decision = promote(few)
    params = mlflow.get_run(decision.run.run_id).data.params
    compared = int(params["rows.compared"])
    assert params["rows.selection"] == "held-out rows neither model trained on"
    assert compared + int(params["rows.trained_on_by.challenger"]) == int(
        params["rows.held_out_today"]
    )
    assert params["rows.trained_on_by.champion"] == "0"  # today's split is the champion's
    assert int(params["rows.held_out_by_both"]) == compared
    # Those rows, from both training runs' lineage, are the rows both models were scored on.
    split = steps.held_out(BEST, blocks.build_dataset(BEST.dataset))
    mask = np.ones(len(split.test_rows), dtype=bool)
    for number in ("1", "2"):
        lineage = run_lineage.read_lineage(registry.get_version("dummy-model", number).run_id)
        mask &= ~lineage.trained_on(split.test_rows)
    assert compared == mask.sum() >= 5
    assert params["rows_digest"] == content_digest(
        split.test_features[mask], split.test_target[mask]
    )
    challenger = model_store.load("models:/dummy-model/2").model
    on_rows = (challenger.predict(split.test_features[mask]) == split.test_target[mask]).mean()
    assert decision.comparison.challenger == pytest.approx(on_rows)

    # --allow-other-rows compares on all held-out rows, and says so on the run.
    decision = promote(BEST, allow_other_rows=True)
    run = mlflow.get_run(decision.run.run_id)
    assert run.data.tags["allow_other_rows"] == "true"
    assert "held out rows" in run.data.tags["rows_mismatch"]


def test_a_forced_promotion_records_who_and_why(tracking_store):
    train(BEST)
    promote(BEST)
    train(WORSE)

    decision = promote(WORSE, force_reason="roll out the simpler model")

    assert decision.promoted
    assert str(champion().version) == "2"
    tags = mlflow.get_run(decision.run.run_id).data.tags
    assert tags["force_reason"] == "roll out the simpler model"
    assert tags["forced_by"]
    assert "forced by" in tags["reason"]


def test_a_version_whose_training_did_not_finish_is_refused(tracking_store):
    summary = train(BEST)
    mlflow.MlflowClient().set_terminated(summary.run_id, "FAILED")

    with pytest.raises(RefusedError, match="FAILED, not FINISHED"):
        promote(BEST)
    assert champion() is None


@pytest.mark.parametrize(
    ("improvement", "interval", "require_significant", "promoted"),
    [
        (0.05, (0.01, 0.09), False, True),
        (0.005, (-0.01, 0.02), False, False),  # below the margin
        (0.05, (-0.01, 0.09), False, True),  # the default rule is the margin alone
        (0.05, (-0.01, 0.09), True, False),  # ...unless the interval must exclude zero
        (0.0, (0.0, 0.0), False, False),  # a tie never replaces the champion
    ],
)
def test_the_promotion_rule(improvement, interval, require_significant, promoted):
    rule = PromotionSpec(metric="accuracy", margin=0.01, require_significant=require_significant)
    comparison = MetricComparison(
        "accuracy", True, 0.9 + improvement, 0.9, improvement, interval, 0.95
    )
    verdict = gate.decide(comparison, rule)
    assert verdict.promoted is promoted
    assert "accuracy" in verdict.reason
