"""Regression metrics: hand-computed values, agreement with scikit-learn, edge cases."""

import numpy as np
import pytest
from sklearn import metrics as sk

from {{ cookiecutter.module_name }}.evaluation import (
    RegressionEvaluator,
    regression_metrics,
)


def test_metrics_match_hand_computed_values():
    result = regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])  # errors 0, 0, -2

    assert result["mae"] == pytest.approx(2 / 3)
    assert result["rmse"] == pytest.approx(np.sqrt(4 / 3))
    assert result["r2"] == pytest.approx(1 - 4 / 2)  # residual / total sum of squares


def test_metrics_equal_scikit_learn():
    rng = np.random.default_rng(0)
    y_true = rng.normal(size=500)
    y_pred = y_true + rng.normal(scale=0.3, size=500)

    result = regression_metrics(y_true, y_pred)

    assert result["mae"] == sk.mean_absolute_error(y_true, y_pred)
    assert result["rmse"] == pytest.approx(
        np.sqrt(sk.mean_squared_error(y_true, y_pred)), abs=1e-12
    )
    assert result["r2"] == sk.r2_score(y_true, y_pred)


def test_nan_predictions_and_mismatched_lengths_are_rejected():
    with pytest.raises(ValueError, match="NaN"):
        regression_metrics([1.0, 2.0], [1.0, np.nan])
    with pytest.raises(ValueError, match="y_true has 2 values but y_pred has 1"):
        regression_metrics([1.0, 2.0], [1.0])


def test_evaluator_returns_metrics_and_figures():
    evaluation = RegressionEvaluator().evaluate([1.0, 2.0, 3.0, 4.0], [1.1, 1.9, 3.2, 3.7])
    assert set(evaluation.metrics) == {"mae", "rmse", "r2"}
    assert set(evaluation.figures) == {"predicted_vs_actual", "residuals"}
