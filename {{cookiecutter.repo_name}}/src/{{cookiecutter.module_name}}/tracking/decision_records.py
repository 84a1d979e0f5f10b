"""The records of the deciding runs: promotion, monitoring, prediction, reproduction, retrain.

Each record is written on the workflow's own run, in one place per kind of run, with the
helpers of :mod:`.recording`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import batches
from .recording import log_decision, log_report, log_table, log_values
from .registry import MODEL_CARD
from .retries import retried
from .runs import DECISION_TAG, REPRODUCES_TAG, RUN_TYPE_TAG

if TYPE_CHECKING:
    from ..config import MonitorSpec, PromotionSpec
    from ..evaluation import MetricComparison, Objective
    from ..evaluation.slices import SliceReport

SLICE_TABLE = "slices_table.json"


def reproduction_tags(original_run_id: str, notes: Sequence[str]) -> dict[str, str]:
    """Tags of a run that reproduces another: its type, the original, what differed."""
    tags = {RUN_TYPE_TAG: "reproduction", REPRODUCES_TAG: original_run_id}
    if notes:
        tags["reproduction.notes"] = "; ".join(notes)
    return tags


def record_reproduction(
    run_id: str,
    metrics: Mapping[str, tuple[float, float | None]],
    verdict: str,
    tolerance: float,
) -> None:
    """Record on a finished reproduction run its verdict and each metric's difference."""
    import mlflow

    differences = {
        f"reproduction.difference.{name}": again - value
        for name, (value, again) in metrics.items()
        if again is not None
    }
    retried(
        lambda: mlflow.MlflowClient().log_batch(
            run_id,
            metrics=batches.metrics(differences),
            params=batches.params({"reproduction.tolerance": str(tolerance)}),
            tags=batches.tags({"reproduction.verdict": verdict}),
        )
    )


def record_promotion(
    *,
    registered_model: str,
    versions: Mapping[str, str],
    objective: Objective,
    rule: PromotionSpec,
    rows_digest: str,
    rows_origin: Mapping[str, object],
    reason: str,
    below_floor: Sequence[str],
    mismatches: Sequence[str],
    comparison: MetricComparison | None,
    forced: tuple[str, str] | None,
    dry_run: bool = False,
    unresolved: bool = False,
) -> None:
    """Record what a promotion decided on, and why (the decision itself: :func:`log_outcome`).

    Args:
        registered_model: The registered model.
        versions: The version of each role (``challenger``, ``champion``).
        objective: The deciding metric and its direction.
        rule: The config's promotion rule.
        rows_digest: The digest of the rows both models were scored on.
        rows_origin: How those rows were chosen and how many come from where
            (``rows.selection``, ``rows.compared``, ``rows.new_since_champion``...).
        reason: The decision's reason, with the values it rests on.
        below_floor: The floors (``promotion.minimum``) the challenger failed.
        mismatches: Models trained with other held-out rows, compared all the same.
        comparison: The challenger against the champion (None without a champion).
        forced: Who forced the promotion, and why (None: not forced).
        dry_run: Whether it moved nothing (``--dry-run``).
        unresolved: Significance was required and the rows cannot resolve the margin.
    """
    params = {
        "registered_model": registered_model,
        "challenger_version": versions["challenger"],
        "champion_version": versions.get("champion", "none"),
        "metric": objective.metric,
        "higher_is_better": objective.higher_is_better,
        "margin": rule.margin,
        "require_significant": rule.require_significant,
        "rows_digest": rows_digest,
        **{f"minimum.{metric}": floor for metric, floor in rule.minimum.items()},
        "min_rows": rule.min_rows,
        **rows_origin,
    }
    tags = {"reason": reason, "allow_other_rows": str(bool(mismatches)).lower()}
    if below_floor:
        tags["below_floor"] = "; ".join(below_floor)
    if dry_run:
        tags["dry_run"] = "true"
    if comparison is not None:
        underpowered = rule.margin < comparison.minimum_detectable
        tags["power"] = "underpowered" if underpowered else "resolves the margin"
        tags["power.unresolved"] = str(unresolved).lower()
    if mismatches:
        tags["rows_mismatch"] = "; ".join(mismatches)
    if forced is not None:
        tags |= {"forced_by": forced[0], "force_reason": forced[1]}
    log_decision(params, tags)
    if comparison is not None:
        log_values(
            {
                "improvement": comparison.improvement,
                "improvement_ci_low": comparison.interval[0],
                "improvement_ci_high": comparison.interval[1],
                "minimum_detectable_difference": comparison.minimum_detectable,
            }
        )


def record_slices(report: SliceReport) -> None:
    """Log a promotion's slice comparison: JSON (``slices.json``) and an MLflow table."""
    rows = report.to_rows()
    log_report({"metric": report.metric, "tolerance": report.tolerance,
                "min_rows": report.min_rows, "slices": rows}, "slices")  # fmt: skip
    columns = ["slice", "rows", "challenger", "champion", "improvement", "adjusted_p_value",
               "breach", "skipped"]  # fmt: skip
    table = {column: [row[column] for row in rows] for column in columns}
    log_table(table, SLICE_TABLE)
    breaches = sum(bool(row["breach"]) for row in rows)
    log_values({"slices_compared": sum(not row["skipped"] for row in rows),
                "slices_worse": breaches})  # fmt: skip


def log_model_card(card: str) -> None:
    """Log the model card of a promotion decision as ``MODEL_CARD.md``."""
    import mlflow

    retried(lambda: mlflow.log_text(card, MODEL_CARD))


def record_monitoring(
    report: Mapping[str, Any],
    version: str,
    batch: Path,
    rows: int,
    thresholds: MonitorSpec,
) -> None:
    """Record a monitor run: its decision and reasons, drift and metrics, and the report."""
    decision = str(report["decision"])
    log_decision(
        params={
            "model_version": version,
            "batch": str(batch),
            "batch_rows": rows,
            **{f"monitor.{key}": value for key, value in asdict(thresholds).items()},
        },
        tags={DECISION_TAG: decision, "reasons": "; ".join(report["reasons"])[:5000]},
    )
    metrics = {f"batch.{key}": value for key, value in report["metrics"].items()}
    log_values({"drifted_features": len(report["drift"]["drifted"]), **metrics})
    log_report(report, "monitor_report")


def record_prediction(
    model_uri: str,
    version: str | None,
    input_path: Path,
    digest: str,
    output: Path,
    keep: Sequence[str],
    rows: int,
    seconds: float,
) -> None:
    """Record what a prediction run scored, with which model, where it wrote, how fast."""
    log_decision(
        params={
            "model_uri": model_uri,
            "model_version": version or "unregistered",
            "input": str(input_path),
            "input_digest": digest,
            "output": str(output),
            "keep": ",".join(keep),
        },
        tags={"output": str(output.resolve())},
    )
    log_values({"rows": rows, "rows_per_second": rows / max(seconds, 1e-9)})


def record_retrain(
    outcome: str, story: Sequence[str], batch: Path, step_runs: Mapping[str, str]
) -> None:
    """Record a retrain run: its outcome, its story, and the run of each step it took."""
    log_decision(
        params={"batch": str(batch)},
        tags={
            DECISION_TAG: outcome,
            "story": "\n".join(story)[:5000],
            **{f"retrain.{step}_run": run_id for step, run_id in step_runs.items()},
        },
    )
