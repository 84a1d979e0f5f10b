"""Monitor: has new data drifted from the champion's training data, and has it got worse?

The reference is the champion's own training rows: the rows of its dataset, as the config its
training run logged builds it today, that its row lineage says it trained on (so the data may
have grown since). When the batch has the target column, the champion is scored on it and
compared with the baseline stored at promotion. The decision is ``retrain`` if any feature
drifted (new categories included), the batch holds labels the champion never trained on, or
the deciding metric fell by more than the config's ``monitor.max_metric_drop``; else ``ok``.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import blocks, tables
from ..datasets import content_digest, dataset_fingerprints
from ..datasets.labels import label_text, labels_of
from ..drift import DriftReport, FeatureDrift, detect_drift, drift_figure
from ..evaluation import deciding_metric
from ..evaluation.figures import metrics_side_by_side
from ..tracking import (
    champions,
    decision_records,
    model_store,
    recording,
    registry,
    run_configs,
    run_lineage,
    runs,
)
from . import steps

if TYPE_CHECKING:
    from pathlib import Path

    from ..config import ExperimentConfig
    from ..evaluation import Evaluator
    from ..models import Model
    from ..tracking.registry import ModelVersion

logger = logging.getLogger(__name__)

MIN_BATCH_ROWS = 2
HOLDS = "no feature drifted and performance holds against the baseline"


@dataclass(frozen=True)
class MonitorReport:
    """What ``monitor`` found and decided.

    Attributes:
        retrain: Whether retraining is recommended.
        reasons: Why, one sentence each (or why not).
        drift: The per-feature drift tests.
        metrics: The champion's metrics on the batch's labelled rows (empty without a target
            column).
        baseline: The champion's baseline metrics, recorded at promotion.
        run: The monitor run.
        left_out: Rows of the batch left out of the metrics: no label, or a label the
            champion never trained on.
    """

    retrain: bool
    reasons: list[str]
    drift: DriftReport
    metrics: dict[str, float] = field(default_factory=dict)
    baseline: dict[str, float] = field(default_factory=dict)
    run: steps.RunSummary | None = None
    left_out: int = 0

    def to_dict(self) -> dict[str, object]:
        """Return the report as plain data (it is logged as JSON)."""
        return {
            "decision": "retrain" if self.retrain else "ok",
            "reasons": self.reasons,
            "metrics": self.metrics,
            "rows_left_out_of_metrics": self.left_out,
            "baseline": self.baseline,
            "drift": self.drift.to_dict(),
        }


def monitor(config: ExperimentConfig, batch_path: Path) -> MonitorReport:
    """Compare a new batch with the champion's training data and its baseline metrics.

    Args:
        config: Names the registered model; its ``monitor`` section sets the thresholds and
            its ``promotion`` section the deciding metric.
        batch_path: A CSV or Parquet file with the model's features, and optionally the
            target column.

    Raises:
        steps.RefusedError: No champion, a batch without the model's features, or training data
            that no longer matches what the champion was trained on.
    """
    name = steps.registered_name(config)
    if not batch_path.is_file():
        raise steps.RefusedError(f"No batch file {batch_path}")
    progress = steps.Progress(4, logger)
    uri, experiment_id = steps.open_experiment(config)
    champion = registry.version_by_alias(name, registry.CHAMPION_ALIAS)
    if champion is None:
        raise steps.RefusedError(f"{name!r} has no champion to monitor: run `make promote` first")

    progress.step("Loading champion version %s and rebuilding its training rows", champion.version)
    stored = model_store.load(registry.version_uri(champion), trust_unsigned=config.trust_pickle)
    training = _training_rows(champion)
    reference, evaluator = training.features, training.evaluator
    batch = tables.read_table(batch_path)
    _check_batch(batch, reference, batch_path)

    progress.step("Testing %d features for drift", len(reference.columns))
    drift = detect_drift(
        reference,
        batch[reference.columns],
        alpha=config.monitor.alpha,
        min_effect=config.monitor.min_effect,
        psi_threshold=config.monitor.psi_threshold,
    )
    reasons = [_drift_reason(feature) for feature in drift.drifted]
    baseline = champions.baseline(champion)
    target_name = str(training.target.name)
    metrics: dict[str, float] = {}
    left_out = 0
    if target_name in batch.columns:
        known = champions.baseline_labels(champion) or labels_of(training.target)
        scored, label_reasons = _scorable_rows(batch, target_name, evaluator, known)
        left_out = len(batch) - len(scored)
        progress.step("Scoring the champion on %d labelled rows", len(scored))
        metrics, score_reasons = _score(stored.model, evaluator, scored, training)
        reasons += label_reasons + score_reasons
        reasons += _performance_reasons(config, evaluator, metrics, baseline)
    else:
        progress.step("No %r column in the batch: performance is not checked", target_name)
    report = MonitorReport(
        bool(reasons), reasons or [HOLDS], drift, metrics, baseline, left_out=left_out
    )

    progress.step("Recording the report")
    digest, _ = tables.file_digest(batch_path)
    run_name = f"monitor {batch_path.name}"
    with runs.tracked_run(experiment_id, "monitor", run_name=run_name) as run:
        recording.log_inputs(monitored=recording.file_input(batch_path, digest, len(batch)))
        decision_records.record_monitoring(
            report.to_dict(), str(champion.version), batch_path, len(batch), config.monitor
        )
        recording.log_figure(drift_figure(drift), "drift")
        if metrics and baseline:
            shared = {key: baseline[key] for key in metrics if key in baseline}
            figure = metrics_side_by_side(
                {"baseline": shared, "batch": metrics}, title="Champion: batch vs baseline"
            )
            recording.log_figure(figure, "metrics_vs_baseline")
    summary = steps.RunSummary(run.info.run_id, experiment_id, uri, metrics)
    return dataclasses.replace(report, run=summary)


def _drift_reason(feature: FeatureDrift) -> str:
    if feature.unseen:
        shown = ", ".join(repr(category) for category in feature.unseen[:10])
        more = f" and {len(feature.unseen) - 10} more" if len(feature.unseen) > 10 else ""
        return f"feature {feature.feature!r} has categories never seen in training: {shown}{more}"
    return (
        f"feature {feature.feature!r} drifted ({feature.test} effect {feature.effect:.3f}, "
        f"adjusted p {feature.adjusted_p_value:.2g})"
    )


@dataclass(frozen=True)
class TrainingRows:
    """The champion's training rows as its dataset gives them today, and its evaluator."""

    features: pd.DataFrame
    target: pd.Series
    evaluator: Evaluator


def _training_rows(champion: ModelVersion) -> TrainingRows:
    """Rebuild the rows the champion trained on, from its logged config and its lineage."""
    training_run = registry.training_run(champion)
    run_id = training_run.info.run_id
    config = run_configs.run_config(run_id)
    dataset = blocks.build_dataset(config.dataset)
    evaluator = blocks.build_evaluator(config.evaluator)
    lineage = run_lineage.read_lineage(run_id)
    if lineage is None:  # trained before lineage: its split must give the same rows again
        split = steps.held_out(config, dataset)
        logged = runs.input_digest(training_run, recording.TRAINING)
        rebuilt = content_digest(split.train_features, split.train_target)
        if logged != rebuilt:
            raise steps.RefusedError(
                f"The champion's training rows were {logged}, but its config now gives "
                f"{rebuilt}: the dataset changed since training, and the champion was trained "
                "before row lineage was recorded, so its training rows cannot be found again"
            )
        return TrainingRows(split.train_features, split.train_target, evaluator)
    fingerprints = dataset_fingerprints(dataset, config.split.key)
    trained = lineage.trained_on(fingerprints)
    found = len(np.unique(fingerprints[trained]))
    if found == 0:
        raise steps.RefusedError(
            f"None of the champion's {len(lineage.trained)} training rows is in dataset "
            f"{dataset.name!r} any more: there is nothing to compare the batch with"
        )
    if found < len(lineage.trained):
        logger.info(
            "      %d of the champion's %d training rows are still in the dataset: the "
            "reference is those",
            found,
            len(lineage.trained),
        )
    return TrainingRows(dataset.features[trained], dataset.target[trained], evaluator)


def _scorable_rows(
    batch: pd.DataFrame, target: str, evaluator: Evaluator, known: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """The labelled rows the champion can be scored on, and why others are a reason to retrain.

    Rows without a label are left out; so are, for a classifier, rows whose label it never
    trained on: those name the new labels as a reason to retrain.
    """
    labelled = batch[batch[target].notna()]
    if not evaluator.classifies:
        return labelled, []
    labels = labelled[target].map(label_text)
    new = labels[~labels.isin(known)]
    if new.empty:
        return labelled, []
    names = ", ".join(repr(label) for label in new.value_counts().index)
    reason = (
        f"{len(new)} row(s) have label(s) never seen in training: {names}; the metrics leave "
        "them out"
    )
    return labelled[labels.isin(known)], [reason]


def _score(
    model: Model, evaluator: Evaluator, rows: pd.DataFrame, training: TrainingRows
) -> tuple[dict[str, float], list[str]]:
    """The champion's metrics on the labelled rows, or why it cannot be scored on them."""
    if rows.empty:
        return {}, []
    try:
        predictions = steps.score(model, rows[training.features.columns])
    except ValueError as error:
        return {}, [f"the champion could not score the batch: {error}"]
    target = rows[str(training.target.name)]
    return steps.evaluate(evaluator, target, predictions).metrics, []


def _check_batch(batch: pd.DataFrame, reference: pd.DataFrame, path: Path) -> None:
    """Refuse a batch that cannot be compared with the training rows, saying why."""
    if len(batch) < MIN_BATCH_ROWS:
        raise steps.RefusedError(
            f"{path.name} has {len(batch)} row(s): monitoring needs at least {MIN_BATCH_ROWS} "
            "to compare distributions"
        )
    missing = [column for column in reference.columns if column not in batch.columns]
    if missing:
        raise steps.RefusedError(
            f"{path.name} lacks the model's feature column(s) {missing}: every feature the "
            "model was trained on must be there"
        )
    numeric = pd.api.types.is_numeric_dtype
    wrong = [
        f"{column!r} ({batch[column].dtype})"
        for column in reference.columns
        if numeric(reference[column]) and not numeric(batch[column])
    ]
    if wrong:
        raise steps.RefusedError(
            f"{path.name} holds text where the model was trained on numbers: "
            f"{', '.join(wrong)}; fix those values or the file's format"
        )


def _performance_reasons(
    config: ExperimentConfig,
    evaluator: Evaluator,
    metrics: dict[str, float],
    baseline: dict[str, float],
) -> list[str]:
    """Return why performance calls for retraining (an empty list if it does not)."""
    if config.promotion.metric is None and evaluator.key_metric is None:
        return []  # nothing names the metric to watch
    objective = deciding_metric(config, evaluator)
    metric = objective.metric
    if metric not in metrics:
        return []
    if metric not in baseline:
        logger.info("      no baseline %r recorded: promote with `make promote`", metric)
        return []
    drop = objective.gain(baseline[metric], metrics[metric])
    if drop > config.monitor.max_metric_drop:
        return [
            f"{metric} fell from {baseline[metric]:.4f} (baseline) to {metrics[metric]:.4f}, "
            f"more than monitor.max_metric_drop {config.monitor.max_metric_drop}"
        ]
    return []
