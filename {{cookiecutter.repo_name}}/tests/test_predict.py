"""Batch predictions: checked input, chunked scoring, safe output, a tracked run."""

import mlflow
import numpy as np
import pandas as pd
import pytest
from conftest import DummyDataset, make_config

from {{ cookiecutter.module_name }}.tracking import model_inputs, model_store
from {{ cookiecutter.module_name }}.workflows import RefusedError
from {{ cookiecutter.module_name }}.workflows import predict as predict_workflow
from {{ cookiecutter.module_name }}.workflows.predict import predict
from {{ cookiecutter.module_name }}.workflows.promote import promote
from {{ cookiecutter.module_name }}.workflows.train import train

# Whole workflows against a real store: `make test-all`, not the fast `make test`.
pytestmark = pytest.mark.slow

CONFIG = make_config(rows=200)


@pytest.fixture
def champion(tracking_store):
    train(CONFIG)
    promote(CONFIG)
    return model_store.load("models:/dummy-model@champion").model


@pytest.fixture
def new_rows(tmp_path):
    """A CSV of new rows: the model's features plus an id column."""
    features = DummyDataset(rows=137, seed=5).features
    path = tmp_path / "new.csv"
    features.assign(customer=[f"c{i}" for i in range(len(features))]).to_csv(path, index=False)
    return path


def test_predictions_of_the_champion_are_written_and_tracked(champion, new_rows, tmp_path):
    output = tmp_path / "out" / "predictions.csv"

    summary = predict(CONFIG, new_rows, output=output, keep=["customer"], chunk_rows=50)

    written = pd.read_csv(output)
    features = pd.read_csv(new_rows).drop(columns="customer")
    assert summary.rows == len(written) == 137
    assert list(written.columns) == ["customer", "prediction", "score_0", "score_1"]
    assert written["customer"].tolist() == [f"c{i}" for i in range(137)]
    np.testing.assert_array_equal(written["prediction"], champion.predict(features))
    np.testing.assert_allclose(written[["score_0", "score_1"]], champion.predict_proba(features))

    run = mlflow.get_run(summary.run.run_id)
    assert run.data.tags["run_type"] == "predict"
    assert run.data.params["model_version"] == "1"
    assert run.data.params["output"] == str(output)
    assert run.data.metrics["rows"] == 137
    (item,) = run.inputs.dataset_inputs
    assert item.dataset.digest == run.data.params["input_digest"]


def test_chunks_and_parquet_give_the_same_predictions(champion, new_rows, tmp_path):
    parquet = tmp_path / "new.parquet"
    pd.read_csv(new_rows).to_parquet(parquet)

    predict(CONFIG, new_rows, output=tmp_path / "one.csv", keep=["customer"], chunk_rows=10_000)
    predict(CONFIG, parquet, output=tmp_path / "many.parquet", keep=["customer"], chunk_rows=7)

    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "one.csv"), pd.read_parquet(tmp_path / "many.parquet")
    )


def test_a_missing_column_is_refused_before_any_work(champion, new_rows, tmp_path):
    pd.read_csv(new_rows).drop(columns="x2").to_csv(new_rows, index=False)
    output = tmp_path / "predictions.csv"

    with pytest.raises(RefusedError, match=r"missing column\(s\) the model needs: \['x2'\]"):
        predict(CONFIG, new_rows, output=output, keep=["customer"])
    assert not output.exists()
    runs = mlflow.search_runs(experiment_names=["dummy-experiment"], output_format="list")
    assert "predict" not in {run.data.tags["run_type"] for run in runs}


def test_extra_columns_and_wrong_types_are_each_named(champion, new_rows, tmp_path):
    with pytest.raises(RefusedError, match=r"customer.*--keep"):
        predict(CONFIG, new_rows, output=tmp_path / "p.csv")

    table = pd.read_csv(new_rows)
    table["x1"] = "high"
    table.to_csv(new_rows, index=False)
    with pytest.raises(model_inputs.InputMismatchError, match=r"'x1' is .*expects double"):
        predict(CONFIG, new_rows, output=tmp_path / "p.csv", keep=["customer"])
    assert not (tmp_path / "p.csv").exists()


def test_an_existing_output_is_kept_unless_overwrite_is_asked(champion, new_rows, tmp_path):
    output = tmp_path / "predictions.csv"
    output.write_text("precious\n")

    with pytest.raises(RefusedError, match="--overwrite"):
        predict(CONFIG, new_rows, output=output, keep=["customer"])
    assert output.read_text() == "precious\n"

    predict(CONFIG, new_rows, output=output, keep=["customer"], overwrite=True)
    assert len(pd.read_csv(output)) == 137


def test_a_failure_mid_file_leaves_no_output(champion, new_rows, tmp_path, monkeypatch):
    table = pd.read_csv(new_rows)
    table["x1"] = table["x1"].astype(object)
    table.loc[100:, "x1"] = "broken"  # the first chunks are fine, a later one is not
    table.to_csv(new_rows, index=False)
    output = tmp_path / "predictions.csv"
    monkeypatch.setattr(predict_workflow, "HEAD_ROWS", 20)  # checked up front: rows 1-20

    with pytest.raises(model_inputs.InputMismatchError, match="rows 101-120"):
        predict(CONFIG, new_rows, output=output, keep=["customer"], chunk_rows=20)
    assert not output.exists()
    assert list(tmp_path.glob(".predictions.csv*")) == []
    runs = mlflow.search_runs(experiment_names=["dummy-experiment"], output_format="list")
    (failed,) = [run for run in runs if run.data.tags["run_type"] == "predict"]
    assert failed.info.status == "FAILED"
