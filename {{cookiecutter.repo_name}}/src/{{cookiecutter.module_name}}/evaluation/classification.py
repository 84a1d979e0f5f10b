"""Classification metrics, exact and fast, and the classification evaluator.

The metrics equal scikit-learn's (``accuracy_score``, ``precision_score``, ``recall_score``,
``f1_score`` with ``zero_division=0``, ``roc_auc_score``, ``log_loss``) and share their work
instead of re-checking and re-encoding the data for each metric: the labels are encoded once,
the confusion matrix is one ``np.bincount`` and accuracy, precision, recall and F1 follow from
it; ROC AUC is the Mann-Whitney statistic from sorted scores, summed in integers so it is exact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .base import Evaluator, check_predictions

if TYPE_CHECKING:
    from matplotlib.figure import Figure

AVERAGES = ("binary", "macro", "micro", "weighted")


def classification_metrics(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    y_score: ArrayLike | None = None,
    *,
    labels: ArrayLike | None = None,
    pos_label: object = None,
    average: str | None = None,
) -> dict[str, float]:
    """Return accuracy, precision, recall, F1 and, given probabilities, ROC AUC and log loss.

    Needs neither MLflow nor a model: call it directly on arrays, e.g. in a benchmark.

    Args:
        y_true: The true class labels (numbers, booleans or strings).
        y_pred: The predicted class labels.
        y_score: Class probabilities: shape (n, n_labels) with columns in sorted label order
            (as ``predict_proba`` returns them), or shape (n,) with the probability of the
            greater label in the binary case.
        labels: All class labels (sorted internally); defaults to those in ``y_true`` and
            ``y_pred``. Give them when a class may be missing from the evaluated rows.
        pos_label: The positive class for binary precision, recall and F1; defaults to the
            greater label (1, True, or the last string in sorted order).
        average: ``binary`` (default for two labels), ``macro`` (default otherwise),
            ``micro`` or ``weighted``, as in scikit-learn.

    Returns:
        ``accuracy``, ``precision``, ``recall`` and ``f1``; with ``y_score`` also
        ``log_loss`` and ``roc_auc`` (one-vs-rest, macro-averaged for more than two labels).
        ``roc_auc`` is left out when it is undefined: a label without true samples.

    Raises:
        ValueError: On mismatched lengths, NaN or infinite values, unknown labels or scores
            that are not probabilities.
    """
    y_true, y_pred, y_score = check_predictions(y_true, y_pred, y_score)
    classes, true_index, pred_index = encode_labels(y_true, y_pred, labels)
    matrix = _confusion_matrix(true_index, pred_index, len(classes))
    metrics = _metrics_from_confusion(matrix, classes, pos_label, average)
    if y_score is not None:
        probabilities = _check_probabilities(y_score, classes)
        metrics["log_loss"] = _log_loss(true_index, probabilities)
        roc_auc = _roc_auc(true_index, probabilities)
        if roc_auc is not None:
            metrics["roc_auc"] = roc_auc
    return metrics


def confusion_matrix(
    y_true: ArrayLike, y_pred: ArrayLike, labels: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return the confusion matrix (rows: true label, columns: predicted) and its labels."""
    y_true, y_pred, _ = check_predictions(y_true, y_pred)
    classes, true_index, pred_index = encode_labels(y_true, y_pred, labels)
    return _confusion_matrix(true_index, pred_index, len(classes)), classes


def encode_labels(
    y_true: np.ndarray, y_pred: np.ndarray, labels: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the sorted labels and both arrays as indices into them."""
    if labels is None:
        _check_same_kind(y_true=y_true, y_pred=y_pred)
        classes = np.union1d(_unique(y_true), _unique(y_pred))
    else:
        classes = np.unique(np.asarray(labels))
        if classes.size == 0:
            raise ValueError("labels is empty")
        _check_same_kind(y_true=y_true, y_pred=y_pred, labels=classes)
    return classes, _index_in(classes, y_true, "y_true"), _index_in(classes, y_pred, "y_pred")


def _check_same_kind(**arrays: np.ndarray) -> None:
    """Refuse to compare numbers with strings, which would never match."""
    numeric = {name: array.dtype.kind in "biuf" for name, array in arrays.items()}
    if len(set(numeric.values())) > 1:
        kinds = ", ".join(f"{name}: {arrays[name].dtype}" for name in arrays)
        raise ValueError(f"Labels mix numbers and strings ({kinds})")


def _unique(values: np.ndarray) -> np.ndarray:
    """Return the sorted distinct values; counting is O(n) for small integer labels."""
    if values.dtype.kind in "bi":
        low, high = int(values.min()), int(values.max())
        if high - low < 1 << 16:
            counts = np.bincount(values.astype(np.int64) - low)
            return (np.flatnonzero(counts) + low).astype(values.dtype)
    return np.unique(values)


def _index_in(classes: np.ndarray, values: np.ndarray, name: str) -> np.ndarray:
    """Return the position of each value in ``classes``, rejecting values not in it."""
    index = np.minimum(np.searchsorted(classes, values), len(classes) - 1)
    unknown = classes[index] != values
    if unknown.any():
        raise ValueError(
            f"{name} contains labels not in {classes.tolist()}: "
            f"{np.unique(values[unknown])[:10].tolist()}"
        )
    return index


def _confusion_matrix(true_index: np.ndarray, pred_index: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(true_index * size + pred_index, minlength=size * size).reshape(size, size)


def _metrics_from_confusion(
    matrix: np.ndarray, classes: np.ndarray, pos_label: object, average: str | None
) -> dict[str, float]:
    """Derive accuracy, precision, recall and F1 from the counts, as scikit-learn does."""
    average = average or ("binary" if len(classes) <= 2 else "macro")
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, got {average!r}")
    true_positives = np.diag(matrix)
    predicted = matrix.sum(axis=0)
    actual = matrix.sum(axis=1)
    if average == "binary":
        keep = [_position_of_positive(classes, pos_label)]
        true_positives, predicted, actual = true_positives[keep], predicted[keep], actual[keep]
    elif average == "micro":
        true_positives = true_positives.sum(keepdims=True)
        predicted = predicted.sum(keepdims=True)
        actual = actual.sum(keepdims=True)
    precision = _divide(true_positives, predicted)
    recall = _divide(true_positives, actual)
    f1 = _divide(2.0 * true_positives, actual + predicted)
    weights = actual if average == "weighted" and actual.any() else None
    return {
        "accuracy": float(np.trace(matrix) / matrix.sum()),
        "precision": float(np.average(precision, weights=weights)),
        "recall": float(np.average(recall, weights=weights)),
        "f1": float(np.average(f1, weights=weights)),
    }


def _position_of_positive(classes: np.ndarray, pos_label: object) -> int:
    if len(classes) > 2:
        raise ValueError(f"average='binary' needs at most two labels, got {classes.tolist()}")
    if pos_label is None:
        return len(classes) - 1
    for position, label in enumerate(classes.tolist()):
        if label == pos_label:
            return position
    raise ValueError(f"pos_label {pos_label!r} is not one of the labels {classes.tolist()}")


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Divide, giving 0 where the denominator is 0 (scikit-learn's ``zero_division=0``)."""
    return np.divide(
        numerator.astype(float),
        denominator,
        out=np.zeros(len(numerator)),
        where=denominator != 0,
    )


def _check_probabilities(y_score: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Return the scores as an (n, n_labels) matrix of probabilities, or raise."""
    if y_score.min() < 0 or y_score.max() > 1:
        raise ValueError("y_score must hold probabilities between 0 and 1")
    if y_score.ndim == 1:
        if len(classes) != 2:
            raise ValueError(
                f"One column of scores needs exactly two labels, got {classes.tolist()}"
            )
        return y_score
    if y_score.shape[1] != len(classes):
        raise ValueError(
            f"y_score has {y_score.shape[1]} columns but there are {len(classes)} labels "
            f"{classes.tolist()}; pass all labels (evaluator option 'labels') so they match"
        )
    if not np.allclose(y_score.sum(axis=1), 1.0, rtol=np.sqrt(np.finfo(float).eps), atol=0):
        raise ValueError("Each row of y_score must sum to 1 (class probabilities)")
    return y_score


def _log_loss(true_index: np.ndarray, probabilities: np.ndarray) -> float:
    """Mean negative log-probability of the true class, clipped as scikit-learn does."""
    if probabilities.ndim == 1:
        of_true_class = np.where(true_index == 1, probabilities, 1 - probabilities)
    else:
        of_true_class = probabilities[np.arange(len(true_index)), true_index]
    eps = np.finfo(probabilities.dtype).eps
    return float(-np.mean(np.log(np.clip(of_true_class, eps, 1 - eps))))


def _roc_auc(true_index: np.ndarray, probabilities: np.ndarray) -> float | None:
    """Binary ROC AUC, or the macro average of one-vs-rest AUCs; None if undefined."""
    if probabilities.ndim == 1:
        return _binary_roc_auc(true_index == 1, probabilities)
    if probabilities.shape[1] == 2:
        return _binary_roc_auc(true_index == 1, probabilities[:, 1])
    scores = [
        _binary_roc_auc(true_index == column, probabilities[:, column])
        for column in range(probabilities.shape[1])
    ]
    return None if None in scores else float(np.mean(scores))


def _binary_roc_auc(is_positive: np.ndarray, score: np.ndarray) -> float | None:
    """ROC AUC as the probability that a positive outscores a negative (ties count half).

    Counting, for every positive, the negatives scored strictly lower and those scored
    lower or equal takes two sorts and two binary searches; integer sums keep it exact.
    """
    positives = np.sort(score[is_positive])
    negatives = np.sort(score[~is_positive])
    if len(positives) == 0 or len(negatives) == 0:
        return None
    lower = np.searchsorted(negatives, positives, side="left").sum(dtype=np.int64)
    lower_or_equal = np.searchsorted(negatives, positives, side="right").sum(dtype=np.int64)
    return (int(lower) + int(lower_or_equal)) / (2 * len(positives) * len(negatives))


class ClassificationEvaluator(Evaluator):
    """Accuracy, precision, recall, F1, ROC AUC and log loss, with error-analysis figures.

    Figures: the confusion matrix and, when the model gives probabilities, the ROC and
    precision-recall curves (one curve per class, one-vs-rest, beyond two classes).

    Args:
        labels: All class labels; defaults to those present in the evaluated rows.
        pos_label: Positive class for binary precision, recall and F1 (default: greater label).
        average: How precision, recall and F1 combine classes (see
            :func:`classification_metrics`).
    """

    key_metric = "roc_auc"
    classifies = True
    lower_is_better = frozenset({"log_loss"})

    def __init__(
        self,
        labels: list | None = None,
        pos_label: object = None,
        average: str | None = None,
    ) -> None:
        """Store the options; see the class docstring."""
        self.labels = labels
        self.pos_label = pos_label
        self.average = average

    def compute_metrics(
        self, y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None = None
    ) -> dict[str, float]:
        """Return the metrics of :func:`classification_metrics`."""
        return classification_metrics(
            y_true,
            y_pred,
            y_score,
            labels=self.labels,
            pos_label=self.pos_label,
            average=self.average,
        )

    def make_figures(
        self, y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None = None
    ) -> dict[str, Figure]:
        """Draw the confusion matrix and, given probabilities, the ROC and PR curves."""
        from . import figures

        classes, true_index, pred_index = encode_labels(y_true, y_pred, self.labels)
        matrix = _confusion_matrix(true_index, pred_index, len(classes))
        drawn = {"confusion_matrix": figures.confusion_matrix(matrix, classes)}
        if y_score is None:
            return drawn
        probabilities = _check_probabilities(y_score, classes)
        if probabilities.ndim == 1:
            probabilities = np.column_stack([1 - probabilities, probabilities])
        # One curve per class (one-vs-rest); a binary problem only needs the greater label's.
        columns = [1] if len(classes) == 2 else range(len(classes))
        curves = {
            str(classes[column]): (true_index == column, probabilities[:, column])
            for column in columns
            if 0 < np.count_nonzero(true_index == column) < len(true_index)
        }
        if curves:
            drawn["roc_curve"] = figures.roc_curves(curves)
            drawn["precision_recall_curve"] = figures.precision_recall_curves(curves)
        return drawn
