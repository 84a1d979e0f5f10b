"""Promotion evidence: slices, power, the model card, dry runs, reports, importance."""

from __future__ import annotations

import dataclasses
import re

import mlflow
import numpy as np
import pytest
from conftest import GrowingTable, RuleModel, growing_config, import_path, write_config

from {{ cookiecutter.module_name }} import cli
from {{ cookiecutter.module_name }}.config import BlockSpec, ImportanceSpec
from {{ cookiecutter.module_name }}.evaluation import (
    ClassificationEvaluator,
    Predictions,
)
from {{ cookiecutter.module_name }}.evaluation.slices import compare_slices
from {{ cookiecutter.module_name }}.tracking import champions, registry
from {{ cookiecutter.module_name }}.workflows.promote import promote
from {{ cookiecutter.module_name }}.workflows.train import train

# Whole workflows against a real store: `make test-all`, not the fast `make test`.
pytestmark = pytest.mark.slow

NAME = "growing-model"


def rule(**options) -> BlockSpec:
    return BlockSpec(import_path(RuleModel), options)


@pytest.fixture
def table(tmp_path):
    growing = GrowingTable(tmp_path / "rows.csv")
    growing.append(growing.rows(2000))
    return growing


def config_of(table, model: BlockSpec, **promotion):
    config = growing_config(table.path, **{"slices": ["colour"], **promotion})
    return dataclasses.replace(config, model=model)


def champion():
    return registry.version_by_alias(NAME, "champion")


def test_a_challenger_better_overall_but_worse_on_a_slice_is_refused(tracking_store, table):
    # The champion errs on red and blue rows, the challenger on green ones only.
    train(config_of(table, rule(sabotage=["red", "blue"])))
    promote(config_of(table, rule(sabotage=["red", "blue"])))
    saboteur = config_of(table, rule(sabotage=["green"]))
    train(saboteur)

    decision = promote(saboteur)

    assert decision.comparison.improvement > 0  # better overall...
    assert not decision.promoted  # ...but refused
    assert "colour=green" in decision.reason
    assert str(champion().version) == "1"
    run = mlflow.get_run(decision.run.run_id)
    assert run.data.metrics["slices_worse"] == 1
    report = mlflow.artifacts.load_dict(f"runs:/{run.info.run_id}/slices.json")
    (green,) = (row for row in report["slices"] if row["slice"] == "colour=green")
    assert green["breach"]
    assert green["challenger"] < green["champion"] - 0.1
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id, "figures")}
    assert "figures/slices.png" in artifacts
    # Without the sabotage, the same better model is promoted.
    fair = config_of(table, rule())
    train(fair)
    assert promote(fair).promoted


def test_the_correction_keeps_an_unchanged_model_from_being_refused_by_chance():
    rng = np.random.default_rng(0)
    rows = 4000
    target = rng.integers(0, 2, rows)
    noisy = np.clip(target * 0.6 + rng.normal(0.2, 0.25, rows), 0, 1)
    champion_scores = np.column_stack([1 - noisy, noisy])
    # The "challenger" is the same model: its scores differ from the champion's only by noise.
    again = np.clip(noisy + rng.normal(0, 0.05, rows), 0, 1)
    challenger_scores = np.column_stack([1 - again, again])
    masks = {f"segment {i}": np.arange(rows) % 40 == i for i in range(40)}
    options = {
        "tolerance": 0.0,
        "min_rows": 30,
        "higher_is_better": True,
        "confidence": 0.95,
        "resamples": 300,
        "seed": 1,
    }

    report = compare_slices(
        ClassificationEvaluator(),
        "roc_auc",
        target,
        Predictions((again > 0.5).astype(int), challenger_scores),
        Predictions((noisy > 0.5).astype(int), champion_scores),
        masks,
        **options,
    )

    raw = [result.p_value for result in report.results]
    assert min(raw) < 0.05  # uncorrected, chance alone would refuse it
    assert report.breaches == []  # corrected, no slice is refused


def test_the_power_line_says_when_the_rows_cannot_resolve_the_margin(
    tracking_store, table, tmp_path, capsys
):
    strict = config_of(table, rule(shift=0.6), slices=[], margin=0.0001, require_significant=True)
    train(strict)
    promote(strict)
    same = config_of(table, rule(shift=0.62), slices=[], margin=0.0001, require_significant=True)
    train(same)

    assert cli.main(["promote", str(write_config(tmp_path, same))]) == 3

    output = capsys.readouterr().out
    power = r"Power: with \d+ rows, accuracy differences smaller than [0-9.]+ are likely to go"
    assert re.search(power + r" unseen .*: the margin 0.0001 is below that", output)
    assert "cannot tell" in output  # not reported as "not better"
    (run,) = mlflow.search_runs(
        experiment_names=["growing"], filter_string="tags.decision = 'kept'", output_format="list"
    )
    assert run.data.tags["power"] == "underpowered"
    assert run.data.tags["power.unresolved"] == "true"
    assert run.data.metrics["minimum_detectable_difference"] > 0.0001


def card_table(card: str, heading: str) -> dict[str, list[str]]:
    """The rows of the Markdown table under a heading: first cell to the other cells."""
    section = card.split(heading, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][2:]
    cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]
    (found,) = [None]
    return {row[0]: row[1:] for row in cells} if found is None else {}


def test_the_model_card_numbers_are_the_runs(tracking_store, table):
    train(config_of(table, rule(shift=0.6)))
    promote(config_of(table, rule(shift=0.6)))
    config = config_of(table, rule())
    trained = train(config)

    decision = promote(config)

    run = mlflow.get_run(decision.run.run_id)
    card = mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/MODEL_CARD.md")
    metrics = card_table(card, "## Evaluation against the champion")
    for name, (ours, theirs, gain, interval) in metrics.items():
        assert ours == f"{run.data.metrics[f'challenger.{name}']:.4f}"
        assert theirs == f"{run.data.metrics[f'champion.{name}']:.4f}"
        if name == "accuracy":  # the deciding metric
            assert gain == f"{run.data.metrics['improvement']:+.4f}"
            low, high = (
                run.data.metrics["improvement_ci_low"],
                run.data.metrics["improvement_ci_high"],
            )
            assert interval == f"[{low:+.4f}, {high:+.4f}]"
    assert set(metrics) == {
        m.removeprefix("challenger.") for m in run.data.metrics if m.startswith("challenger.")
    }
    data = card_table(card, "## Training data")
    params = mlflow.get_run(trained.run_id).data.params
    assert data["rows trained on"] == [params["split.train_rows"]]
    assert data["rows held out"] == [params["split.test_rows"]]
    assert data["dataset version"] == [params["dataset.version"]]
    assert data["labels present in training"] == ["0, 1"]
    slices = card_table(card, "## Slices")
    assert set(slices) == {"colour=blue", "colour=green", "colour=red"}
    assert f"Recorded by the promotion run: {decision.run.url}" in card
    # The version links to its card.
    description = registry.get_version(NAME, decision.challenger).description
    assert f"runs:/{run.info.run_id}/MODEL_CARD.md" in description


def aliases_and_tags():
    """Each alias's version, tags and description."""
    versions = {
        alias: registry.version_by_alias(NAME, alias) for alias in ("champion", "candidate")
    }
    return {alias: (v.version, v.tags, v.description) for alias, v in versions.items()}


def test_a_dry_run_moves_nothing_and_writes_its_report(tracking_store, table, tmp_path, capsys):
    train(config_of(table, rule(shift=0.6)))
    promote(config_of(table, rule(shift=0.6)))
    better = config_of(table, rule())
    train(better)
    before = aliases_and_tags()
    report = tmp_path / "out" / "report.md"

    status = cli.main(
        ["promote", str(write_config(tmp_path, better)), "--dry-run", "--report", str(report)]
    )

    assert status == 0  # it would be promoted
    assert aliases_and_tags() == before
    assert champions.baseline(champion()) == champions.baseline(registry.get_version(NAME, "1"))
    text = report.read_text()
    assert text.startswith(f"## Promotion (dry run): {NAME} version 2 against version 1")
    assert "**Would be promoted.**" in text
    for part in ("| accuracy |", "### Slices", "Power:"):
        assert part in text
    assert "Dry run, nothing moved: version 2 would be promoted." in capsys.readouterr().out
    (run,) = mlflow.search_runs(
        experiment_names=["growing"], filter_string="tags.dry_run = 'true'", output_format="list"
    )
    assert run.data.tags["decision"] == "dry_run"
    assert run.info.run_id in text


def test_every_training_measures_what_the_model_relies_on(tracking_store, table):
    config = growing_config(table.path)
    summary = train(config)

    client = mlflow.MlflowClient()
    artifacts = {a.path for a in client.list_artifacts(summary.run_id)}
    assert "importance.json" in artifacts
    table_ = mlflow.artifacts.load_dict(f"runs:/{summary.run_id}/importance.json")
    features = [row[0] for row in table_["data"]]
    assert sorted(features) == ["colour", "x1", "x2"]
    assert features[0] == "x1"  # the label depends on it most
    figures = {a.path for a in client.list_artifacts(summary.run_id, "figures")}
    assert "figures/permutation_importance.png" in figures
    # A model that opts out, and a config that turns it off, log none.
    opted_out = train(dataclasses.replace(config, model=rule()))
    off = train(dataclasses.replace(config, importance=ImportanceSpec(repeats=0)))
    for run_id in (opted_out.run_id, off.run_id):
        assert "importance.json" not in {a.path for a in client.list_artifacts(run_id)}
