"""Monitoring: drift against the champion's training rows, and metrics against its baseline."""

import numpy as np
import pandas as pd
import pytest
from conftest import DummyDataset, make_config, write_config

from {{ cookiecutter.module_name }} import cli
from {{ cookiecutter.module_name }}.drift import detect_drift
from {{ cookiecutter.module_name }}.workflows import RefusedError
from {{ cookiecutter.module_name }}.workflows.monitor import monitor
from {{ cookiecutter.module_name }}.workflows.promote import promote
from {{ cookiecutter.module_name }}.workflows.train import train

# Whole workflows against a real store: `make test-all`, not the fast `make test`.
pytestmark = pytest.mark.slow

CONFIG = make_config(rows=400)


@pytest.fixture
def champion(tracking_store):
    train(CONFIG)
    promote(CONFIG)


def labelled_batch(path, shift=0.0):
    """New labelled rows from the same process; ``shift`` moves feature x1 only."""
    dataset = DummyDataset(rows=300, seed=11)
    table = dataset.features.assign(label=dataset.target)
    table["x1"] += shift
    table.to_csv(path, index=False)
    return path


def test_an_unshifted_batch_is_ok(champion, tmp_path):
    report = monitor(CONFIG, labelled_batch(tmp_path / "batch.csv"))

    assert not report.retrain, report.reasons
    assert report.drift.drifted == []
    assert set(report.metrics) >= {"accuracy", "roc_auc"}
    assert report.baseline["accuracy"] > 0
    assert report.run is not None


def test_a_shifted_feature_is_flagged_and_retraining_recommended(champion, tmp_path):
    report = monitor(CONFIG, labelled_batch(tmp_path / "batch.csv", shift=1.5))

    assert report.retrain
    assert [feature.feature for feature in report.drift.drifted] == ["x1"]
    assert any("x1" in reason for reason in report.reasons)


def test_the_exit_status_tells_schedulers_to_retrain(champion, tmp_path, capsys):
    config = str(write_config(tmp_path, CONFIG))
    assert cli.main(["monitor", str(labelled_batch(tmp_path / "ok.csv")), config]) == 0
    shifted = str(labelled_batch(tmp_path / "shifted.csv", shift=1.5))
    assert cli.main(["monitor", shifted, config]) == cli.ExitStatus.RETRAIN
    assert "Decision: retrain" in capsys.readouterr().out


def test_performance_below_the_baseline_calls_for_retraining(champion, tmp_path):
    path = labelled_batch(tmp_path / "batch.csv")
    table = pd.read_csv(path)
    table["label"] = 1 - table["label"]  # the world changed: the same features, other labels
    table.to_csv(path, index=False)

    report = monitor(CONFIG, path)

    assert report.retrain
    assert any("fell from" in reason for reason in report.reasons)


def test_no_champion_is_refused(tracking_store, tmp_path):
    train(CONFIG)
    with pytest.raises(RefusedError, match="no champion"):
        monitor(CONFIG, labelled_batch(tmp_path / "batch.csv"))


def test_many_unshifted_features_are_not_flagged_by_chance():
    """40 features, none shifted: without a correction about two would be 'significant'."""
    rng = np.random.default_rng(0)
    columns = [f"f{i}" for i in range(40)]
    reference = pd.DataFrame(rng.normal(size=(2000, 40)), columns=columns)
    flagged, flagged_without_correction = 0, 0
    for _ in range(20):
        batch = pd.DataFrame(rng.normal(size=(500, 40)), columns=columns)
        report = detect_drift(reference, batch, alpha=0.05, min_effect=0.0)
        flagged += bool(report.drifted)
        flagged_without_correction += any(f.p_value < 0.05 for f in report.features)
    assert flagged <= 2  # about alpha x 20 batches
    assert flagged_without_correction >= 10  # 1 - 0.95**40: most batches would be flagged


def test_a_shifted_category_is_flagged():
    rng = np.random.default_rng(1)
    reference = pd.DataFrame({"plan": rng.choice(["basic", "pro"], size=1000, p=[0.7, 0.3])})
    same = pd.DataFrame({"plan": rng.choice(["basic", "pro"], size=500, p=[0.7, 0.3])})
    moved = pd.DataFrame({"plan": rng.choice(["basic", "pro", "team"], size=500)})

    assert detect_drift(reference, same).drifted == []
    (feature,) = detect_drift(reference, moved).drifted
    assert feature.test == "chi2"
    assert feature.effect > 0.2
