"""Experiment configs: the shipped files, command-line overrides and clear errors."""

from dataclasses import replace

import pytest
from conftest import DummyModel, import_path

from {{ cookiecutter.module_name }}.blocks import build_model
from {{ cookiecutter.module_name }}.config import (
    ConfigError,
    apply_override,
    flatten,
    load_config,
)
from {{ cookiecutter.module_name }}.paths import CONFIGS_DIR


@pytest.mark.parametrize("name", ["classification", "regression"])
def test_shipped_configs_load(name):
    config = load_config(name)
    assert config.source == CONFIGS_DIR / f"{name}.yaml"
    assert config.registered_model


def test_default_config_is_the_classification_one():
    assert load_config().evaluator.type == "classification"


def test_overrides_are_typed_by_yaml():
    config = load_config(
        "classification",
        ["model.params.C=0.5", "model.params.tol=1e-3", "split.seed=7", "split.stratify=false"],
    )
    assert config.model.options["params"]["C"] == 0.5
    assert config.model.options["params"]["tol"] == 0.001
    assert config.split.seed == 7
    assert config.split.stratify is False


def test_override_can_add_a_key_and_expand_a_shorthand():
    raw = {"evaluator": "classification"}
    apply_override(raw, "evaluator.pos_label=0")
    assert raw == {"evaluator": {"type": "classification", "pos_label": 0}}


def test_params_are_flat_strings():
    assert flatten({"model": {"params": {"C": 0.5}}, "tags": [1, 2]}) == {
        "model.params.C": "0.5",
        "tags": "[1, 2]",
    }
    params = load_config("classification").to_params()
    assert params["split.seed"] == "42"
    assert params["model.seed"] == "42"
    assert params["dataset.name"] == "breast_cancer"


def test_one_seed_drives_the_split_and_the_model_unless_one_is_set():
    config = load_config("classification", ["seed=7"])
    assert (config.seed, config.split.seed, config.model.options["seed"]) == (7, 7, 7)
    config = load_config("classification", ["seed=7", "split.seed=3", "model.seed=5"])
    assert (config.seed, config.split.seed, config.model.options["seed"]) == (7, 3, 5)
    again = load_config("classification", ["seed=7"])
    assert config.to_params() != again.to_params()
    assert again == load_config("classification", ["seed=7"])


def test_the_seed_reaches_the_estimator_and_skips_models_without_one():
    model = build_model(load_config("regression", ["seed=11"]).model)
    assert model.estimator_.random_state == 11
    spec = load_config("regression").model
    unseeded = replace(spec, type=import_path(DummyModel), options={"seed": 3})
    assert isinstance(build_model(unseeded), DummyModel)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["no_equals_sign"], "not key=value"),
        (["colour=blue"], "Unknown key"),
        (["split.test_size=1.5"], "test_size"),
        (["split.seed=abc"], "seed must be an integer"),
        (["seed=1.5"], "seed must be an integer"),
        (["experiment.name=x"], "not a section"),
    ],
)
def test_bad_overrides_raise_clear_errors(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config("classification", overrides)


def test_unknown_config_lists_the_available_ones():
    with pytest.raises(ConfigError, match=r"classification\.yaml"):
        load_config("no-such-config")
