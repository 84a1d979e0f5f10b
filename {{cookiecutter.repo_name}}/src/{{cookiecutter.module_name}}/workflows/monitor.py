"""Monitor: has new data drifted from the champion's training data, and has it got worse?

The reference is the champion's own training rows, rebuilt from the config its training
run logged and checked against the digest that run recorded. When the batch has the target
column, the champion is scored on it and compared with the baseline stored at promotion.
The decision is ``retrain`` if any feature drifted or the deciding metric fell by more
than the config's ``monitor.max_metric_drop``; otherwise ``ok``.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from .. import blocks, tables
from ..datasets import content_digest
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
    runs,
)
from . import steps

if TYPE_CHECKING:
    from pathlib import Path

    from ..config import ExperimentConfig
    from ..evaluation import Evaluator
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
        metrics: The champion's metrics on the batch (empty without a target column).
        baseline: The champion's baseline metrics, recorded at promotion.
        run: The monitor run.
    """

    retrain: bool
    reasons: list[str]
    drift: DriftReport
    metrics: dict[str, float] = field(default_factory=dict)
    baseline: dict[str, float] = field(default_factory=dict)
    run: steps.RunSummary | None = None

    def to_dict(self) -> dict[str, object]:
        """Return the report as plain data (it is logged as JSON)."""
        return {
            "decision": "retrain" if self.retrain else "ok",
            "reasons": self.reasons,
            "metrics": self.metrics,
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
    reference, target_name, evaluator = _training_rows(champion)
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
    metrics: dict[str, float] = {}
    if target_name in batch.columns:
        progress.step("Scoring the champion on the %d labelled rows", len(batch))
        predictions = steps.score(stored.model, batch[reference.columns])
        metrics = steps.evaluate(evaluator, batch[target_name], predictions).metrics
        reasons += _performance_reasons(config, evaluator, metrics, baseline)
    else:
        progress.step("No %r column in the batch: performance is not checked", target_name)
    report = MonitorReport(bool(reasons), reasons or [HOLDS], drift, metrics, baseline)

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
    return (
        f"feature {feature.feature!r} drifted ({feature.test} effect {feature.effect:.3f}, "
        f"adjusted p {feature.adjusted_p_value:.2g})"
    )


def _training_rows(champion: ModelVersion) -> tuple[pd.DataFrame, str, Evaluator]:
    """Rebuild the champion's training features; return them, the target name, the evaluator."""
    training_run = registry.training_run(champion)
    config = run_configs.run_config(training_run.info.run_id)
    dataset = blocks.build_dataset(config.dataset)
    split = steps.held_out(config, dataset)
    logged = runs.input_digest(training_run, recording.TRAINING)
    rebuilt = content_digest(split.train_features, split.train_target)
    if logged != rebuilt:
        raise steps.RefusedError(
            f"The champion's training rows were {logged}, but its config now gives {rebuilt}: "
            "the dataset changed since training, so it is not the reference any more"
        )
    evaluator = blocks.build_evaluator(config.evaluator)
    return split.train_features, str(split.train_target.name), evaluator


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
