"""Classification metrics: hand-computed values, agreement with scikit-learn, edge cases."""

import numpy as np
import pytest
from sklearn import metrics as sk

from {{ cookiecutter.module_name }}.evaluation import (
    ClassificationEvaluator,
    classification_metrics,
    confusion_matrix,
)

EXACT = {"rel": 0, "abs": 1e-12}


def sklearn_metrics(y_true, y_pred, y_score=None, labels=None, average="binary", pos_label=1):
    """The same metrics, one scikit-learn call each: the reference we must match."""
    options = {"average": average, "zero_division": 0}
    if average == "binary":
        options["pos_label"] = pos_label
    expected = {
        "accuracy": sk.accuracy_score(y_true, y_pred),
        "precision": sk.precision_score(y_true, y_pred, **options),
        "recall": sk.recall_score(y_true, y_pred, **options),
        "f1": sk.f1_score(y_true, y_pred, **options),
    }
    if y_score is not None:
        expected["log_loss"] = sk.log_loss(y_true, y_score, labels=labels)
        multiclass = {"multi_class": "ovr", "labels": labels} if np.ndim(y_score) == 2 else {}
        expected["roc_auc"] = sk.roc_auc_score(y_true, y_score, **multiclass)
    return expected


def test_binary_metrics_match_hand_computed_values():
    y_true = [1, 0, 1, 1, 0, 1]
    y_pred = [1, 0, 0, 1, 1, 1]  # TP=3, FP=1, FN=1, TN=1
    y_score = [0.9, 0.2, 0.4, 0.8, 0.6, 0.7]

    result = classification_metrics(y_true, y_pred, y_score)

    assert result["accuracy"] == pytest.approx(4 / 6, **EXACT)
    assert result["precision"] == pytest.approx(3 / 4, **EXACT)
    assert result["recall"] == pytest.approx(3 / 4, **EXACT)
    assert result["f1"] == pytest.approx(3 / 4, **EXACT)
    # 8 (positive, negative) pairs; the positive scores higher in 7 of them.
    assert result["roc_auc"] == pytest.approx(7 / 8, **EXACT)
    probability_of_truth = [0.9, 0.8, 0.4, 0.8, 0.4, 0.7]
    assert result["log_loss"] == pytest.approx(-np.mean(np.log(probability_of_truth)), **EXACT)


def test_ties_in_scores_count_half():
    assert classification_metrics([0, 1], [0, 1], [0.5, 0.5])["roc_auc"] == 0.5


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    matrix, labels = confusion_matrix(["a", "b", "b", "c"], ["a", "b", "c", "c"])
    assert labels.tolist() == ["a", "b", "c"]
    assert matrix.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]


@pytest.mark.parametrize("seed", [0, 1])
def test_binary_metrics_equal_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, 2_000)
    y_score = np.clip(0.3 * y_true + rng.random(2_000) * 0.7, 0, 1).round(2)  # with ties
    y_pred = (y_score > 0.5).astype(int)

    result = classification_metrics(y_true, y_pred, y_score)

    assert result == pytest.approx(sklearn_metrics(y_true, y_pred, y_score), **EXACT)


@pytest.mark.parametrize("average", ["macro", "micro", "weighted"])
def test_multiclass_metrics_equal_scikit_learn(average):
    rng = np.random.default_rng(2)
    labels = np.array([0, 1, 2])
    y_true = rng.integers(0, 3, 1_000)
    y_score = rng.dirichlet(np.ones(3), 1_000) + np.eye(3)[y_true]
    y_score /= y_score.sum(axis=1, keepdims=True)
    y_pred = y_score.argmax(axis=1)

    result = classification_metrics(y_true, y_pred, y_score, average=average)

    expected = sklearn_metrics(y_true, y_pred, y_score, labels=labels, average=average)
    assert result == pytest.approx(expected, **EXACT)


def test_string_labels_use_the_last_label_as_positive_by_default():
    y_true = np.array(["cat", "dog", "dog", "cat", "dog"])
    y_pred = np.array(["cat", "dog", "cat", "cat", "dog"])
    y_score = np.array([0.1, 0.9, 0.4, 0.3, 0.8])  # probability of "dog"

    result = classification_metrics(y_true, y_pred, y_score)
    as_cat = classification_metrics(y_true, y_pred, pos_label="cat")

    assert result == pytest.approx(
        sklearn_metrics(y_true, y_pred, y_score, pos_label="dog"), **EXACT
    )
    assert as_cat["precision"] == pytest.approx(2 / 3, **EXACT)


def test_one_class_in_true_labels_leaves_roc_auc_out():
    y_true = [1, 1, 1, 1]
    y_pred = [1, 0, 1, 1]
    y_score = [0.9, 0.4, 0.7, 0.6]

    result = classification_metrics(y_true, y_pred, y_score)

    assert "roc_auc" not in result  # undefined without negatives
    assert result["accuracy"] == 0.75
    assert result["recall"] == 0.75
    assert result["log_loss"] == pytest.approx(
        sk.log_loss(y_true, y_score, labels=[0, 1]), **EXACT
    )


def test_labels_option_covers_classes_missing_from_the_rows():
    result = classification_metrics([0, 0], [0, 0], [[0.8, 0.1, 0.1]] * 2, labels=[0, 1, 2])
    assert result["accuracy"] == 1.0
    assert "roc_auc" not in result


def test_mismatched_lengths_are_rejected():
    with pytest.raises(ValueError, match="y_true has 3 values but y_pred has 2"):
        classification_metrics([0, 1, 1], [0, 1])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_infinite_predictions_are_rejected(bad):
    with pytest.raises(ValueError, match="y_pred contains 1 missing, NaN or infinite"):
        classification_metrics([0, 1], [0.0, bad])
    with pytest.raises(ValueError, match="y_score contains 1 missing, NaN or infinite"):
        classification_metrics([0, 1], [0, 1], [0.2, bad])


def test_scores_must_be_probabilities():
    with pytest.raises(ValueError, match="between 0 and 1"):
        classification_metrics([0, 1], [0, 1], [-0.5, 2.0])
    with pytest.raises(ValueError, match="sum to 1"):
        classification_metrics([0, 1], [0, 1], [[0.5, 0.6], [0.1, 0.9]])


def test_unknown_and_mixed_labels_are_rejected():
    with pytest.raises(ValueError, match="y_pred contains labels not in"):
        classification_metrics([0, 1], [0, 2], labels=[0, 1])
    with pytest.raises(ValueError, match="mix numbers and strings"):
        classification_metrics([0, 1], ["0", "1"])


def test_evaluator_returns_metrics_and_figures():
    evaluation = ClassificationEvaluator().evaluate(
        [0, 1, 1, 0], [0, 1, 0, 0], [0.1, 0.8, 0.4, 0.3]
    )
    assert set(evaluation.metrics) == {
        "accuracy",
        "precision",
        "recall",
        "f1",
        "log_loss",
        "roc_auc",
    }
    assert set(evaluation.figures) == {"confusion_matrix", "roc_curve", "precision_recall_curve"}


def test_evaluator_without_scores_draws_only_the_confusion_matrix():
    evaluation = ClassificationEvaluator().evaluate(["a", "b", "c"], ["a", "b", "b"])
    assert set(evaluation.metrics) == {"accuracy", "precision", "recall", "f1"}
    assert set(evaluation.figures) == {"confusion_matrix"}
