"""Figures for error analysis, drawn without pyplot so they work in any process.

Each function returns a :class:`matplotlib.figure.Figure`; MLflow saves it as a PNG and
notebooks display it. Not using pyplot keeps no global state and needs no GUI backend.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

Curves = dict[str, tuple[np.ndarray, np.ndarray]]


def _figure(title: str, size: tuple[float, float] = (5.5, 4.5)) -> tuple[Figure, Axes]:
    figure = Figure(figsize=size, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title)
    return figure, axes


def confusion_matrix(matrix: np.ndarray, labels: np.ndarray) -> Figure:
    """Counts of each (true, predicted) pair, the diagonal being the correct predictions."""
    figure, axes = _figure("Confusion matrix")
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes)
    ticks = np.arange(len(labels))
    names = [str(label) for label in labels]
    axes.set_xticks(ticks, names, rotation=45 if len(names) > 4 else 0)
    axes.set_yticks(ticks, names)
    axes.set_xlabel("Predicted label")
    axes.set_ylabel("True label")
    threshold = matrix.max() / 2
    for (row, column), count in np.ndenumerate(matrix):
        color = "white" if count > threshold else "black"
        axes.text(column, row, str(count), ha="center", va="center", color=color)
    return figure


def roc_curves(curves: Curves) -> Figure:
    """ROC curve of each class (is-positive mask and score per row), with the chance line."""
    from sklearn.metrics import auc, roc_curve

    figure, axes = _figure("ROC curve")
    for label, (is_positive, score) in curves.items():
        false_positive_rate, true_positive_rate, _ = roc_curve(is_positive, score)
        area = auc(false_positive_rate, true_positive_rate)
        axes.plot(false_positive_rate, true_positive_rate, label=f"class {label} (AUC {area:.3f})")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set_xlabel("False positive rate")
    axes.set_ylabel("True positive rate")
    axes.legend(loc="lower right")
    return figure


def precision_recall_curves(curves: Curves) -> Figure:
    """Precision-recall curve of each class, with its positive rate as the chance level."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    figure, axes = _figure("Precision-recall curve")
    for label, (is_positive, score) in curves.items():
        precision, recall, _ = precision_recall_curve(is_positive, score)
        average_precision = average_precision_score(is_positive, score)
        axes.plot(recall, precision, label=f"class {label} (AP {average_precision:.3f})")
        axes.axhline(is_positive.mean(), linestyle=":", color="grey")  # a random classifier
    axes.set_xlabel("Recall")
    axes.set_ylabel("Precision")
    axes.legend(loc="lower left")
    return figure


def predicted_vs_actual(y_true: np.ndarray, y_pred: np.ndarray) -> Figure:
    """Predictions against true values; perfect predictions lie on the diagonal."""
    figure, axes = _figure("Predicted vs actual")
    axes.scatter(y_true, y_pred, s=12, alpha=0.6)
    low, high = min(y_true.min(), y_pred.min()), max(y_true.max(), y_pred.max())
    axes.plot([low, high], [low, high], linestyle="--", color="grey", label="perfect")
    axes.set_xlabel("Actual")
    axes.set_ylabel("Predicted")
    axes.legend(loc="upper left")
    return figure


def residuals(y_true: np.ndarray, y_pred: np.ndarray) -> Figure:
    """Residuals (actual - predicted) against predictions, and their distribution."""
    figure = Figure(figsize=(9, 4), layout="constrained")
    figure.suptitle("Residuals (actual - predicted)")
    scatter_axes, histogram_axes = figure.subplots(1, 2)
    errors = y_true - y_pred
    scatter_axes.scatter(y_pred, errors, s=12, alpha=0.6)
    scatter_axes.axhline(0, linestyle="--", color="grey")
    scatter_axes.set_xlabel("Predicted")
    scatter_axes.set_ylabel("Residual")
    histogram_axes.hist(errors, bins="auto")
    histogram_axes.set_xlabel("Residual")
    histogram_axes.set_ylabel("Rows")
    return figure


def ranked_bars(panels: dict[str, list[tuple[str, float | None]]]) -> Figure:
    """Horizontal bars, best at the top: one panel per title, one bar per (label, value).

    Args:
        panels: Panel title to its ranked (label, value) pairs; missing values are skipped.
    """
    heights = [max(len(bars), 1) for bars in panels.values()] or [1]
    figure = Figure(figsize=(7.0, 1.2 + 0.35 * sum(heights)), layout="constrained")
    grid = figure.add_gridspec(len(heights), 1, height_ratios=heights)
    for row, (title, bars) in enumerate(panels.items()):
        axes = figure.add_subplot(grid[row])
        shown = [(label, value) for label, value in bars if value is not None][::-1]
        positions = np.arange(len(shown))
        drawn = axes.barh(positions, [value for _, value in shown])
        axes.bar_label(drawn, fmt="%.4f", fontsize=7, padding=2)
        axes.set_yticks(positions, [label for label, _ in shown], fontsize=8)
        axes.set_title(title, fontsize=9)
        axes.margins(x=0.15)
    return figure


def metrics_side_by_side(
    metrics: dict[str, dict[str, float]], title: str = "Metrics on the same rows"
) -> Figure:
    """Grouped bars: one group per metric, one bar per model (e.g. challenger and champion).

    Args:
        metrics: Model label to its metrics; metrics missing for a model are left out.
        title: The figure's title.
    """
    names = sorted({name for values in metrics.values() for name in values})
    figure, axes = _figure(title, size=(max(5.5, 1.1 * len(names) + 2), 4.5))
    width = 0.8 / max(len(metrics), 1)
    positions = np.arange(len(names))
    for index, (label, values) in enumerate(metrics.items()):
        heights = [values.get(name, np.nan) for name in names]
        bars = axes.bar(positions + index * width, heights, width, label=label)
        axes.bar_label(bars, fmt="%.3f", fontsize=7, rotation=90, padding=2)
    axes.set_xticks(positions + width * (len(metrics) - 1) / 2, names, rotation=30)
    axes.margins(y=0.2)
    axes.legend(loc="upper right")
    return figure


def slice_gains(
    gains: list[tuple[str, float, tuple[float, float], bool]], metric: str, tolerance: float
) -> Figure:
    """The challenger's gain on each slice with its interval; breached slices in red.

    Args:
        gains: Per slice: its name, the gain, its interval and whether it breached.
        metric: The metric compared.
        tolerance: How much worse a slice may be; drawn as a line at ``-tolerance``.
    """
    figure = Figure(figsize=(7.0, 1.5 + 0.32 * max(len(gains), 1)), layout="constrained")
    axes = figure.add_subplot()
    positions = np.arange(len(gains))
    values = np.array([gain for _, gain, _, _ in gains])
    errors = np.array([[gain - low, high - gain] for _, gain, (low, high), _ in gains]).T
    colors = ["tab:red" if breach else "tab:blue" for *_, breach in gains]
    axes.barh(positions, values, xerr=errors if len(gains) else None, color=colors, capsize=3)
    axes.set_yticks(positions, [name for name, *_ in gains], fontsize=8)
    axes.axvline(0, color="black", linewidth=0.8)
    axes.axvline(-tolerance, linestyle="--", color="grey", label=f"-tolerance ({tolerance})")
    axes.set_xlabel(f"Challenger's gain in {metric} (red: worse beyond the tolerance)")
    axes.set_title("Challenger vs champion, per slice")
    axes.legend(loc="lower right")
    return figure
