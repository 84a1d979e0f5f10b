"""Building blocks are found by short name or import path, and checked."""

import pytest
from conftest import DummyDataset, import_path

from {{ cookiecutter.module_name }} import blocks
from {{ cookiecutter.module_name }}.config import BlockSpec, ConfigError
from {{ cookiecutter.module_name }}.datasets import SklearnDataset
from {{ cookiecutter.module_name }}.evaluation import (
    ClassificationEvaluator,
    RegressionEvaluator,
)
from {{ cookiecutter.module_name }}.models import SklearnModel


@pytest.mark.parametrize(
    ("kind", "name", "expected"),
    [
        ("dataset", "sklearn", SklearnDataset),
        ("model", "sklearn", SklearnModel),
        ("evaluator", "classification", ClassificationEvaluator),
        ("evaluator", "regression", RegressionEvaluator),
        ("dataset", import_path(DummyDataset), DummyDataset),
    ],
)
def test_blocks_resolve_by_short_name_or_import_path(kind, name, expected):
    assert blocks.resolve(kind, name) is expected


def test_build_passes_the_options_to_the_class():
    dataset = blocks.build_dataset(BlockSpec("sklearn", {"name": "iris"}))
    assert dataset.name == "iris"


@pytest.mark.parametrize(
    ("kind", "spec", "message"),
    [
        ("model", BlockSpec("xgboost"), "Unknown model 'xgboost'"),
        ("model", BlockSpec("no_such_package.Model"), "Cannot import"),
        ("model", BlockSpec(import_path(DummyDataset)), "not a subclass"),
        ("dataset", BlockSpec("sklearn", {"colour": "red"}), "Bad options"),
        ("dataset", BlockSpec("sklearn", {"name": "mnist"}), "Unknown scikit-learn dataset"),
    ],
)
def test_bad_blocks_raise_clear_errors(kind, spec, message):
    with pytest.raises(ConfigError, match=message):
        blocks.build(kind, spec)
