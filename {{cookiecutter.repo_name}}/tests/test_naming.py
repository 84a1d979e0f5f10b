"""Readable run names, made from the config and the overrides given on the command line."""

import pytest

from {{ cookiecutter.module_name }} import naming
from {{ cookiecutter.module_name }}.config import BlockSpec, load_config


def test_a_training_run_is_named_by_its_model_overrides_and_seed():
    overrides = ["model.params.C=0.1", "split.seed=7", "split.test_size=0.3"]
    config = load_config(None, overrides)
    assert naming.run_name(config, overrides) == (
        "logistic_regression C=0.1 split.test_size=0.3 seed=7"
    )
    assert naming.run_name(load_config()) == "logistic_regression seed=42"


@pytest.mark.parametrize(
    ("model", "name"),
    [
        (
            BlockSpec("sklearn", {"estimator": "sklearn.ensemble.RandomForestRegressor"}),
            "RandomForestRegressor",
        ),
        (BlockSpec("my_package.models:Baseline"), "Baseline"),
        (BlockSpec("sklearn"), "sklearn"),
    ],
)
def test_a_model_is_named_by_its_estimator_or_class(model, name):
    assert naming.model_name(model) == name


def test_a_replaced_model_is_named_once():
    overrides = ["model={type: my_package.models.Baseline}"]
    assert naming.run_name(load_config(None, overrides), overrides) == "Baseline seed=42"


@pytest.mark.parametrize(
    ("uri", "label"),
    [
        ("models:/churn@candidate", "churn@candidate"),
        ("models:/churn/3", "churn v3"),
        ("runs:/0123456789abcdef/model", "run 01234567"),
    ],
)
def test_other_runs_say_what_they_did_to_which_model(uri, label):
    assert naming.model_label(uri) == label
    assert naming.evaluation_name(load_config(), uri) == f"evaluate {label} seed=42"
