"""Compare: the leaderboard ranks runs only against runs scored on the same held-out rows."""

import pytest
from conftest import make_config

from {{ cookiecutter.module_name }} import cli
from {{ cookiecutter.module_name }}.workflows import RefusedError
from {{ cookiecutter.module_name }}.workflows.compare import (
    leaderboard,
    save_figure,
)
from {{ cookiecutter.module_name }}.workflows.promote import promote
from {{ cookiecutter.module_name }}.workflows.train import train

# Whole workflows against a real store: `make test-all`, not the fast `make test`.
pytestmark = pytest.mark.slow

BEST, WORSE = make_config(margin=0.0, rows=200), make_config(margin=1.5, rows=200)
OTHER_ROWS = make_config(margin=0.0, rows=200, split_seed=3)


@pytest.fixture
def three_runs(tracking_store):
    best, worse = train(BEST), train(WORSE)
    promote(BEST, version="1")
    other = train(OTHER_ROWS)
    return best, worse, other


def test_runs_on_other_rows_are_never_ranked_together(three_runs):
    best, worse, other = three_runs

    board = leaderboard(BEST)

    assert [len(group.entries) for group in board.groups] == [2, 1]
    same_rows, other_rows = board.groups
    assert [entry.run_id for entry in same_rows.entries] == [best.run_id, worse.run_id]
    assert [entry.run_id for entry in other_rows.entries] == [other.run_id]
    assert same_rows.rows_digest != other_rows.rows_digest
    assert same_rows.metric == "accuracy"
    assert same_rows.higher_is_better
    # What differs between the runs, their metrics and their registered versions.
    assert same_rows.entries[1].params == {"model.margin": "1.5"}
    assert same_rows.entries[0].metrics["accuracy"] == pytest.approx(best.metrics["accuracy"])
    assert same_rows.entries[0].version == "1"
    assert set(same_rows.entries[0].aliases) == {"champion"}
    assert other_rows.entries[0].aliases == ("candidate",)
    frame = board.to_frame()
    assert list(frame["rank"]) == [1, 2, 1]


@pytest.mark.usefixtures("three_runs")
def test_the_command_line_prints_one_table_per_set_of_rows(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(
        f"experiment: {BEST.experiment}\n"
        "dataset: {type: sklearn, name: breast_cancer}\n"
        "model: {type: sklearn, estimator: sklearn.linear_model.LogisticRegression}\n"
        "evaluator: classification\n"
        f"registered_model: {BEST.registered_model}\n",
        encoding="utf-8",
    )

    assert cli.main(["compare", BEST.experiment, "--config", str(config)]) == 0

    output = capsys.readouterr().out
    assert output.count("Held-out rows") == 2
    assert "ranked by roc_auc (higher is better)" in output
    assert "not ranked together" in output
    assert "v1 @champion" in output


@pytest.mark.usefixtures("three_runs")
def test_the_figure_has_one_panel_per_set_of_rows(tmp_path):
    board = leaderboard(BEST)
    path = save_figure(board, tmp_path / "figures")
    assert path.name == "compare-dummy-experiment.png"
    assert path.stat().st_size > 1000
    assert len(board.figure().axes) == 2


def test_an_unknown_experiment_is_refused(tracking_store):
    with pytest.raises(RefusedError, match="No experiment 'nope'"):
        leaderboard(BEST, "nope")
