"""The loop on data that grows: lineage, promotion on unseen rows, floors, monitor, retrain."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import mlflow
import numpy as np
import pandas as pd
import pytest
from conftest import GrowingTable, growing_config, write_config

from {{ cookiecutter.module_name }} import blocks, cli
from {{ cookiecutter.module_name }}.config import (
    MonitorSpec,
    PromotionSpec,
    SplitSpec,
)
from {{ cookiecutter.module_name }}.datasets import content_digest
from {{ cookiecutter.module_name }}.evaluation import (
    ClassificationEvaluator,
    RegressionEvaluator,
    gate,
)
from {{ cookiecutter.module_name }}.signatures import UntrustedModelError
from {{ cookiecutter.module_name }}.tracking import (
    champions,
    registry,
    run_lineage,
    store,
)
from {{ cookiecutter.module_name }}.workflows import RefusedError, steps
from {{ cookiecutter.module_name }}.workflows.monitor import monitor
from {{ cookiecutter.module_name }}.workflows.promote import promote
from {{ cookiecutter.module_name }}.workflows.train import train

# Whole workflows against a real store: `make test-all`, not the fast `make test`.
pytestmark = pytest.mark.slow

NAME = "growing-model"


@pytest.fixture
def growing(tmp_path):
    table = GrowingTable(tmp_path / "rows.csv")
    table.append(table.rows(400))
    return table


def version(number: str):
    return registry.get_version(NAME, number)


def lineage_of(number: str):
    return run_lineage.read_lineage(version(number).run_id)


def test_a_training_records_its_rows_lineage_signed(tracking_store, growing):
    config = growing_config(growing.path)
    summary = train(config)

    split = steps.held_out(config, blocks.build_dataset(config.dataset))
    lineage = run_lineage.read_lineage(summary.run_id)
    assert np.array_equal(lineage.trained, np.unique(split.train_rows))
    assert np.array_equal(lineage.held_out, np.unique(split.test_rows))
    params = mlflow.get_run(summary.run_id).data.params
    assert int(params["lineage.trained_rows"]) + int(params["lineage.held_out_rows"]) == 400
    # At most 8 bytes a row, plus the .npy header.
    client = mlflow.MlflowClient()
    sizes = {a.path: a.file_size for a in client.list_artifacts(summary.run_id, "lineage")}
    assert sizes["lineage/trained.npy"] <= 8 * len(lineage.trained) + 128
    # Changed after signing: refused.
    folder = mlflow.artifacts.download_artifacts(run_id=summary.run_id, artifact_path="lineage")
    np.save(f"{folder}/trained.npy", lineage.trained[:-1])
    with mlflow.start_run(run_id=summary.run_id):
        mlflow.log_artifact(f"{folder}/trained.npy", artifact_path="lineage")
    with pytest.raises(UntrustedModelError):
        run_lineage.read_lineage(summary.run_id)


def test_appended_rows_promote_on_rows_neither_model_trained_on(tracking_store, growing):
    config = growing_config(growing.path)
    train(config)
    promote(config)
    growing.append(growing.rows(200))
    train(config)

    decision = promote(config)

    params = mlflow.get_run(decision.run.run_id).data.params
    compared = int(params["rows.compared"])
    # The hash split kept every old row on its side: none of today's held-out rows trained
    # the champion, and its held-out rows are all still held out.
    assert params["rows.selection"] == "held-out rows neither model trained on"
    assert params["rows.trained_on_by.champion"] == "0"
    assert params["rows.trained_on_by.challenger"] == "0"
    assert int(params["rows.held_out_by_both"]) == len(lineage_of("1").held_out)
    assert compared == int(params["rows.held_out_by_both"]) + int(
        params["rows.new_since_champion"]
    )
    # From the lineage artifacts: no compared row trained either model.
    split = steps.held_out(config, blocks.build_dataset(config.dataset))
    unseen = ~lineage_of("1").trained_on(split.test_rows) & ~lineage_of("2").trained_on(
        split.test_rows
    )
    assert unseen.all()
    assert compared == len(split.test_rows)
    # The promotion run logged those rows: none trained either model.
    folder = mlflow.artifacts.download_artifacts(
        run_id=decision.run.run_id, artifact_path="lineage"
    )
    rows = np.load(f"{folder}/compared.npy")
    assert len(rows) == len(np.unique(split.test_rows))
    for number in ("1", "2"):
        assert not np.isin(rows, lineage_of(number).trained).any()
    assert params["rows_digest"] == content_digest(split.test_features, split.test_target)


def test_too_few_unseen_rows_are_refused_with_the_counts(tracking_store, growing, tmp_path):
    shuffled = dataclasses.replace(
        growing_config(growing.path, min_rows=100),
        split=SplitSpec(method="random", test_size=0.25, seed=7),
    )
    train(shuffled)
    promote(shuffled)
    growing.append(growing.rows(40))  # the seeded shuffle redraws every row's side
    train(shuffled)

    with pytest.raises(RefusedError) as error:
        promote(shuffled)

    message = str(error.value)
    params = {
        "compared": r"only (\d+) of today's (\d+) held-out rows",
        "champion": r"(\d+) trained the champion",
    }
    import re

    compared, held_out = map(int, re.search(params["compared"], message).groups())
    trained_champion = int(re.search(params["champion"], message).group(1))
    assert compared < 100
    assert compared + trained_champion == held_out
    assert trained_champion > 0  # rows the champion trained on are held out today
    assert "promotion.min_rows is 100" in message
    assert str(registry.version_by_alias(NAME, "champion").version) == "1"
    # The command line: one error line, exit 2.
    assert cli.main(["promote", str(write_config(tmp_path, shuffled))]) == 2


def test_a_floor_keeps_even_the_first_model_out(tracking_store, growing, tmp_path, capsys):
    strict = growing_config(growing.path, minimum={"accuracy": 0.99})
    train(strict)

    assert cli.main(["promote", str(write_config(tmp_path, strict))]) == 6

    assert registry.version_by_alias(NAME, "champion") is None
    assert "below the config's floor" in capsys.readouterr().out
    (run,) = mlflow.search_runs(
        experiment_names=["growing"], filter_string="tags.run_type = 'promotion'",
        output_format="list",
    )  # fmt: skip
    assert run.data.tags["decision"] == "below_floor"
    assert run.data.tags["below_floor"].startswith("accuracy ")
    assert run.data.params["minimum.accuracy"] == "0.99"
    # Not even --force passes a floor.
    assert not promote(strict, force_reason="ship it").promoted


def test_floors_know_the_direction_of_each_metric():
    regression, classification = RegressionEvaluator(), ClassificationEvaluator()
    assert gate.below_floors({"rmse": 12.0}, {"rmse": 10.0}, regression) == [
        "rmse 12.0000 above the ceiling 10.0"
    ]
    assert gate.below_floors({"rmse": 8.0, "r2": 0.5}, {"rmse": 10.0, "r2": 0.4}, regression) == []
    (failed,) = gate.below_floors({"accuracy": 0.9}, {"roc_auc": 0.8}, classification)
    assert failed.startswith("roc_auc not computed (computed: accuracy)")


def test_promotion_spec_refuses_floors_that_are_not_numbers():
    from {{ cookiecutter.module_name }}.config import ConfigError
    from {{ cookiecutter.module_name }}.config.checks import parse_section

    with pytest.raises(ConfigError, match=r"promotion\.minimum must be a mapping of metric"):
        parse_section(PromotionSpec, "promotion", {"minimum": {"roc_auc": "high"}})


@pytest.fixture
def champion_of_growing(tracking_store, growing):
    config = growing_config(growing.path)
    train(config)
    promote(config)
    return config


def test_monitor_names_labels_never_seen_in_training(champion_of_growing, growing):
    rows = growing.rows(60)
    rows.loc[:9, "label"] = 2
    report = monitor(champion_of_growing, growing.batch(rows, "new-label.csv"))

    assert report.retrain
    assert any("10 row(s) have label(s) never seen in training: '2'" in r for r in report.reasons)
    assert report.left_out == 10
    assert report.metrics  # computed on the 50 rows with known labels
    assert champions.baseline_labels(version("1")) == ["0", "1"]


def test_monitor_names_categories_never_seen_in_training(champion_of_growing, growing):
    batch = growing.batch(growing.rows(80, colours=("red", "purple")), "new-colour.csv")

    report = monitor(champion_of_growing, batch)

    assert report.retrain
    (colour,) = (f for f in report.drift.features if f.feature == "colour")
    assert colour.drifted
    assert colour.unseen == ["purple"]
    assert any("categories never seen in training: 'purple'" in r for r in report.reasons)


def test_monitor_refuses_a_batch_missing_a_feature_in_one_line(
    champion_of_growing, growing, tmp_path, capsys
):
    batch = growing.batch(growing.rows(30).drop(columns="x2"), "no-x2.csv")
    config = str(write_config(tmp_path, champion_of_growing))

    assert cli.main(["monitor", str(batch), config]) == 2

    error = capsys.readouterr().err.strip()
    assert error.startswith("error: no-x2.csv lacks the model's feature column(s) ['x2']")
    assert len(error.splitlines()) == 1


def test_monitor_follows_the_champion_as_its_data_grows(champion_of_growing, growing):
    growing.append(growing.rows(100))  # the file grew since the champion was trained
    report = monitor(champion_of_growing, growing.batch(growing.rows(100), "same.csv"))
    assert not report.retrain, report.reasons


def retrain_runs():
    return mlflow.search_runs(
        experiment_names=["growing"],
        filter_string="tags.run_type = 'retrain'",
        order_by=["attributes.start_time DESC"],
        output_format="list",
    )


@pytest.mark.parametrize(
    ("champion_c", "options", "batch_shift", "status", "outcome"),
    [
        (1.0, {}, 0.0, 0, "nothing_to_do"),
        (1e-4, {}, 3.0, 7, "retrained_and_promoted"),
        (1.0, {"C": 1e-4}, 3.0, 3, "retrained_champion_kept"),
        (1.0, {"minimum": {"accuracy": 0.999}}, 3.0, 6, "retrained_below_floor"),
    ],
    ids=["nothing to do", "promoted", "champion kept", "below a floor"],
)
def test_retrain_says_what_it_did_in_its_exit_status(
    tracking_store, growing, tmp_path, capsys, champion_c, options, batch_shift, status, outcome
):
    champion = growing_config(growing.path, C=champion_c)
    train(champion)
    promote(champion)
    new_rows = growing.append(growing.rows(200, shift=batch_shift))
    batch = growing.batch(new_rows, "batch.csv")
    config = write_config(tmp_path, growing_config(growing.path, **options))

    assert cli.main(["retrain", str(batch), str(config)]) == status

    output = capsys.readouterr().out
    assert f"Outcome: {outcome.replace('_', ' ')} (exit status {status})" in output
    run = retrain_runs()[0]
    assert run.data.tags["decision"] == outcome
    assert run.data.tags["story"].startswith("Monitored the batch")
    linked = {key: value for key, value in run.data.tags.items() if key.startswith("retrain.")}
    expected = {"retrain.monitor_run"} | (
        set() if status == 0 else {"retrain.training_run", "retrain.promotion_run"}
    )
    assert set(linked) == expected
    for key, run_id in linked.items():
        run_type = {"monitor": "monitor", "training": "train", "promotion": "promotion"}
        step = key.removeprefix("retrain.").removesuffix("_run")
        assert mlflow.get_run(run_id).data.tags["run_type"] == run_type[step]
    champion_now = str(registry.version_by_alias(NAME, "champion").version)
    assert champion_now == ("2" if status == 7 else "1")


def test_retrain_refusals_are_recorded_and_exit_2(champion_of_growing, growing, tmp_path, capsys):
    batch = growing.batch(growing.rows(30).drop(columns="x1"), "broken.csv")
    config = str(write_config(tmp_path, champion_of_growing))

    assert cli.main(["retrain", str(batch), config]) == 2

    assert "lacks the model's feature column(s) ['x1']" in capsys.readouterr().err
    run = retrain_runs()[0]
    assert run.data.tags["decision"] == "refused"
    assert "Refused:" in run.data.tags["story"]


def test_retrain_trains_the_first_champion(tracking_store, growing, tmp_path):
    config = str(write_config(tmp_path, growing_config(growing.path)))
    batch = growing.batch(growing.rows(50), "first.csv")

    assert cli.main(["retrain", batch.as_posix(), config]) == 7

    assert str(registry.version_by_alias(NAME, "champion").version) == "1"
    assert "no champion yet" in retrain_runs()[0].data.tags["story"]


def test_retrain_always_retrains(champion_of_growing, growing, tmp_path):
    batch = growing.batch(growing.rows(100), "calm.csv")
    calm = dataclasses.replace(champion_of_growing, monitor=MonitorSpec(max_metric_drop=1.0))
    config = str(write_config(tmp_path, calm))

    status = cli.main(["retrain", str(batch), config, "--always"])

    assert status in (3, 7)  # trained and decided, whichever way the comparison went
    assert "Retraining all the same (--always)" in retrain_runs()[0].data.tags["story"]
    assert pd.notna(registry.get_version(NAME, "2"))


def test_the_loop_finds_the_projects_store_from_any_folder(tracking_store, growing, tmp_path):
    # A relative SQLite path is the project root's, wherever the command runs: each command
    # is a new process started in another folder, as a scheduler would start it.
    from {{ cookiecutter.module_name }}.paths import PROJECT_ROOT

    database = store.sqlite_path(tracking_store)
    environment = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{os.path.relpath(database, PROJECT_ROOT)}",
        "PYTHONPATH": os.path.dirname(__file__),  # the config's pipeline is in conftest
    }
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    config = str(write_config(tmp_path, growing_config(growing.path)))

    def command(*args: str) -> int:
        done = subprocess.run(
            [sys.executable, "-m", "{{ cookiecutter.module_name }}", *args],
            cwd=elsewhere,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        print(done.stdout, done.stderr)  # shown if the test fails
        return done.returncode

    assert command("train", config) == 0
    assert command("promote", config) == 0
    batch = growing.batch(growing.rows(50), "calm.csv")
    assert command("retrain", str(batch), config, "--always") in (3, 7)
    assert not list(elsewhere.iterdir())  # nothing written where the command ran
    assert len(retrain_runs()) == 1  # in the store the URI names, read from this process
