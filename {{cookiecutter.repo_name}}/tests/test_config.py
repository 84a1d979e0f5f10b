"""Experiment configs: the shipped files, command-line overrides and clear errors."""

import pytest

from {{ cookiecutter.module_name }}.config import ConfigError, apply_override, flatten, load_config
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
    assert params["dataset.name"] == "breast_cancer"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["no_equals_sign"], "not key=value"),
        (["colour=blue"], "Unknown key"),
        (["split.test_size=1.5"], "test_size"),
        (["split.seed=abc"], "seed must be an integer"),
        (["experiment.name=x"], "not a section"),
    ],
)
def test_bad_overrides_raise_clear_errors(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config("classification", overrides)


def test_unknown_config_lists_the_available_ones():
    with pytest.raises(ConfigError, match=r"classification\.yaml"):
        load_config("no-such-config")
