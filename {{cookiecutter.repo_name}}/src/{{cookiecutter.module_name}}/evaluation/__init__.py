"""Evaluator building blocks: subclass :class:`Evaluator` to add metrics (see its docstring).

The metric functions need neither MLflow nor a model, e.g. for benchmarks or notebooks.
"""

from . import gate
from .base import Evaluation, Evaluator, check_predictions
from .classification import ClassificationEvaluator, classification_metrics, confusion_matrix
from .comparison import MetricComparison, compare_on_same_rows
from .objective import Objective, deciding_metric
from .predictions import Predictions
from .regression import RegressionEvaluator, regression_metrics

__all__ = [
    "ClassificationEvaluator",
    "Evaluation",
    "Evaluator",
    "MetricComparison",
    "Objective",
    "Predictions",
    "RegressionEvaluator",
    "check_predictions",
    "classification_metrics",
    "compare_on_same_rows",
    "confusion_matrix",
    "deciding_metric",
    "gate",
    "regression_metrics",
]
