"""Paired comparison of two models on the same rows."""

import numpy as np
import pytest

from {{ cookiecutter.module_name }}.config import PromotionSpec
from {{ cookiecutter.module_name }}.evaluation import (
    ClassificationEvaluator,
    Predictions,
    RegressionEvaluator,
    compare_on_same_rows,
    gate,
)

# Thousands of bootstrap resamples: `make test-all`, not the fast `make test`.
pytestmark = pytest.mark.slow


def classifier_predictions(rng, target, accuracy):
    labels = np.where(rng.random(len(target)) < accuracy, target, 1 - target)
    scores = np.column_stack([1 - labels * 0.8 - 0.1, labels * 0.8 + 0.1])
    return Predictions(labels, scores)


def test_a_better_model_is_better_and_the_interval_is_reproducible():
    rng = np.random.default_rng(0)
    target = rng.integers(0, 2, size=400)
    good = classifier_predictions(rng, target, 0.95)
    poor = classifier_predictions(rng, target, 0.75)
    evaluator = ClassificationEvaluator()

    first = compare_on_same_rows(evaluator, "accuracy", target, good, poor, seed=3)
    again = compare_on_same_rows(evaluator, "accuracy", target, good, poor, seed=3)

    assert first == again
    assert first.improvement == pytest.approx(first.challenger - first.reference)
    assert first.interval[0] < first.improvement < first.interval[1]
    assert first.significant


def test_direction_follows_the_metric():
    target = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    close = Predictions(target + 0.1, None)
    far = Predictions(target + 1.0, None)

    comparison = compare_on_same_rows(RegressionEvaluator(), "rmse", target, close, far)

    assert not comparison.higher_is_better
    assert comparison.improvement == pytest.approx(0.9)  # lower RMSE: a positive improvement


def test_an_unknown_metric_is_an_error():
    target = np.array([0, 1, 0, 1])
    same = Predictions(target, None)
    with pytest.raises(KeyError):
        compare_on_same_rows(ClassificationEvaluator(), "roc_auc", target, same, same)


def test_the_power_line_of_two_models_that_predict_alike_names_no_detectable_size():
    rng = np.random.default_rng(1)
    target = rng.integers(0, 2, size=200)
    same = classifier_predictions(rng, target, 0.9)
    different = classifier_predictions(rng, target, 0.8)
    evaluator = ClassificationEvaluator()
    rule = PromotionSpec(metric="accuracy", margin=0.01)

    alike = compare_on_same_rows(evaluator, "accuracy", target, same, same, seed=0)
    assert gate.power_line(alike, rule) == (
        "with 200 rows, accuracy does not differ on any resample: the two models score these "
        "rows alike"
    )
    apart = compare_on_same_rows(evaluator, "accuracy", target, same, different, seed=0)
    assert "differences smaller than 0.0" in gate.power_line(apart, rule)
    assert apart.minimum_detectable > 0
