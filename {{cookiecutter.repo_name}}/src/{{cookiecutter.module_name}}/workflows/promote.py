"""Promote: the candidate (challenger) replaces the champion only if it wins on the same rows.

Both models are scored here, in the promotion run, on the config's held-out rows with the
same evaluator: metrics stored by other runs are never compared. The comparison is refused
when a model was trained with other rows held out (its training run's ``evaluation`` input
digest differs from these rows'), because it would then be scored on rows it has seen.
Every decision, including a refusal to promote, is a ``promotion`` run of its own.
"""

from __future__ import annotations

import getpass
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import blocks
from ..datasets import content_digest
from ..evaluation import MetricComparison, compare_on_same_rows
from ..evaluation.figures import metrics_side_by_side
from ..tracking import model_store, recording, registry
from . import steps

if TYPE_CHECKING:
    from mlflow.entities import Run
    from mlflow.entities.model_registry import ModelVersion

    from ..config import ExperimentConfig, PromotionSpec
    from ..datasets import Split
    from ..evaluation import Evaluator, Predictions
    from ..models import Model

logger = logging.getLogger(__name__)

PROMOTED, KEPT = "promoted", "kept"


@dataclass(frozen=True)
class Decision:
    """What ``promote`` decided and why.

    Attributes:
        promoted: Whether ``champion`` now points at the challenger.
        reason: One sentence, with the values it rests on.
        challenger: The challenger's version number.
        champion: The previous champion's version number (None: there was none).
        comparison: The metric comparison (None without a previous champion).
        run: The promotion run.
    """

    promoted: bool
    reason: str
    challenger: str
    champion: str | None
    comparison: MetricComparison | None
    run: steps.RunSummary | None


def promote(
    config: ExperimentConfig,
    *,
    version: str | None = None,
    allow_other_rows: bool = False,
    force_reason: str | None = None,
) -> Decision:
    """Compare the challenger with the champion and move ``champion`` if the challenger wins.

    Args:
        config: Names the registered model, the held-out rows, the evaluator and (in its
            ``promotion`` section) the deciding metric, its margin and the rule.
        version: The challenger's version number; defaults to the ``candidate`` alias.
        allow_other_rows: Compare even if a model was trained with other rows held out
            (recorded on the run).
        force_reason: Promote the challenger whatever the comparison says, for this reason
            (recorded on the run, with who forced it).

    Raises:
        RefusedError: No challenger, a challenger whose training run did not finish, or models
            trained with other held-out rows (without ``allow_other_rows``).
    """
    name = steps.registered_name(config)
    challenger = _challenger(name, version)
    champion = registry.version_by_alias(name, registry.CHAMPION_ALIAS)
    # Each version's training run, fetched once: its end state and its held-out rows.
    trained = {
        role: (model_version, registry.training_run(model_version))
        for role, model_version in (("challenger", challenger), ("champion", champion))
        if model_version is not None
    }
    for role, (model_version, training) in trained.items():
        _require_finished_training(role, model_version, training)
    if champion is not None and champion.version == challenger.version:
        logger.info("Version %s of %r is already the champion", challenger.version, name)
        return Decision(True, "already the champion", str(challenger.version), None, None, None)

    logger.info("[1/4] Loading both models, verified, and the rows they are scored on")
    stored = [
        model_store.load(registry.version_uri(version), trust_unsigned=config.trust_pickle)
        for version in (challenger, champion)
        if version is not None
    ]
    models = [each.model for each in stored]
    dataset = blocks.build_dataset(config.dataset)
    evaluator = blocks.build_evaluator(config.evaluator)
    metric, higher_is_better = steps.deciding_metric(config, evaluator)
    split = steps.held_out(config, dataset)
    rows_digest = content_digest(split.test_features, split.test_target)
    mismatches = _rows_mismatches(rows_digest, trained)
    if mismatches and not allow_other_rows:
        raise steps.RefusedError(
            f"Cannot compare on rows {rows_digest}: {'; '.join(mismatches)}. Such a model "
            "has seen some of these rows in training, so its score would be inflated. Train "
            "it again with this config's split, or pass --allow-other-rows to compare anyway "
            "(recorded on the promotion run)."
        )

    uri, experiment_id = steps.open_experiment(config)
    against = f"v{champion.version}" if champion is not None else "no champion"
    run_name = f"promote v{challenger.version} vs {against}"
    with recording.tracked_run(experiment_id, "promotion", run_name=run_name) as run:
        recording.log_inputs(
            evaluation=recording.rows_input(dataset, split.test_features, split.test_target)
        )
        for role, each in zip(("challenger", "champion"), stored, strict=False):
            recording.log_model_trust(each.uri, each.signer, role=role)
        logger.info("[2/4] Scoring challenger version %s", challenger.version)
        challenger_metrics, challenger_predictions = _score(
            "challenger", models[0], evaluator, split
        )
        comparison = None
        if champion is None:
            promoted, reason = True, "no champion yet: the challenger becomes the champion"
            values = {f"challenger v{challenger.version}": challenger_metrics}
        else:
            logger.info("[3/4] Scoring champion version %s on the same rows", champion.version)
            champion_metrics, champion_predictions = _score(
                "champion", models[1], evaluator, split
            )
            comparison = compare_on_same_rows(
                evaluator,
                metric,
                split.test_target.to_numpy(),
                challenger_predictions,
                champion_predictions,
                higher_is_better=higher_is_better,
                confidence=config.promotion.confidence,
                resamples=config.promotion.resamples,
                seed=config.split.seed,
            )
            promoted, reason = decide(comparison, config.promotion)
            values = {
                f"challenger v{challenger.version}": challenger_metrics,
                f"champion v{champion.version}": champion_metrics,
            }
            recording.log_values(_comparison_metrics(comparison))
        if force_reason is not None:
            reason = f"forced by {_who()} ({force_reason}); the comparison said: {reason}"
            promoted = True
        logger.info("[4/4] Decision: %s", "promote" if promoted else "keep the champion")
        recording.log_decision(
            params={
                "registered_model": name,
                "challenger_version": challenger.version,
                "champion_version": champion.version if champion else "none",
                "metric": metric,
                "higher_is_better": higher_is_better,
                "margin": config.promotion.margin,
                "require_significant": config.promotion.require_significant,
                "rows_digest": rows_digest,
            },
            tags={
                "reason": reason,
                "allow_other_rows": str(bool(mismatches and allow_other_rows)).lower(),
                **({"rows_mismatch": "; ".join(mismatches)} if mismatches else {}),
                **({"forced_by": _who(), "force_reason": force_reason} if force_reason else {}),
            },
        )
        recording.log_figure(metrics_side_by_side(values), "challenger_vs_champion")
        if promoted:
            # The run says "promoted" only once the baseline and the alias are in place; an
            # interruption on the way puts back what had changed.
            with registry.promotion(name, challenger, champion):
                registry.record_baseline(
                    challenger, challenger_metrics, rows_digest, run.info.run_id
                )
                registry.set_alias(name, registry.CHAMPION_ALIAS, challenger)
                recording.log_outcome(PROMOTED)
        else:
            recording.log_outcome(KEPT)
    summary = steps.RunSummary(
        run_id=run.info.run_id,
        experiment_id=experiment_id,
        tracking_uri=uri,
        metrics=challenger_metrics,
        model_uri=registry.version_uri(challenger),
    )
    return Decision(
        promoted,
        reason,
        str(challenger.version),
        str(champion.version) if champion else None,
        comparison,
        summary,
    )


def _challenger(name: str, version: str | None) -> ModelVersion:
    if version is not None and not version.isdigit():
        raise steps.RefusedError(f"--version must be a version number, e.g. 3; got {version!r}")
    if version is not None:
        found = registry.get_version(name, version)
        if found is None:
            raise steps.RefusedError(f"{name!r} has no version {version}")
        return found
    candidate = registry.version_by_alias(name, registry.CANDIDATE_ALIAS)
    if candidate is None:
        raise steps.RefusedError(
            f"{name!r} has no {registry.CANDIDATE_ALIAS!r} version to promote: run `make train`"
        )
    return candidate


def _require_finished_training(role: str, version: ModelVersion, training: Run) -> None:
    status = training.info.status
    if status != "FINISHED":
        raise steps.RefusedError(
            f"The {role}, version {version.version} of {version.name!r}, was trained by run "
            f"{version.run_id}, which is {status}, not FINISHED: only a finished training can "
            "be promoted"
        )


def _rows_mismatches(rows_digest: str, trained: dict[str, tuple[ModelVersion, Run]]) -> list[str]:
    """Say which model was trained with other held-out rows than ``rows_digest``."""
    mismatches = []
    for role, (version, training) in trained.items():
        digest = recording.input_digest(training, recording.EVALUATION)
        if digest != rows_digest:
            mismatches.append(
                f"the {role} (version {version.version}) held out rows {digest} in training"
            )
    return mismatches


def _score(
    role: str, model: Model, evaluator: Evaluator, split: Split
) -> tuple[dict[str, float], Predictions]:
    """Score one model on the held-out rows and log its metrics under ``<role>.``."""
    predictions = steps.score(model, split.test_features)
    evaluation = steps.evaluate(evaluator, split.test_target, predictions)
    recording.log_evaluation(evaluation, split.test_target, predictions, prefix=f"{role}.")
    return evaluation.metrics, predictions


def decide(comparison: MetricComparison, rule: PromotionSpec) -> tuple[bool, str]:
    """Apply the config's rule: better by the margin (and significantly, if required)."""
    values = (
        f"{comparison.metric} {comparison.challenger:.4f} (challenger) vs "
        f"{comparison.reference:.4f} (champion), improvement {comparison.improvement:+.4f}, "
        f"{comparison.confidence:.0%} CI [{comparison.interval[0]:+.4f}, "
        f"{comparison.interval[1]:+.4f}]"
    )
    if comparison.improvement <= 0 or comparison.improvement < rule.margin:
        return False, f"not better by the margin {rule.margin}: {values}"
    if rule.require_significant and not comparison.significant:
        return False, f"the confidence interval does not exclude zero: {values}"
    return True, f"better by at least the margin {rule.margin}: {values}"


def _comparison_metrics(comparison: MetricComparison) -> dict[str, float]:
    return {
        "improvement": comparison.improvement,
        "improvement_ci_low": comparison.interval[0],
        "improvement_ci_high": comparison.interval[1],
    }


def _who() -> str:
    """Name who forced a promotion: the tracking server user if set, else the OS user."""
    return os.environ.get("MLFLOW_TRACKING_USERNAME") or getpass.getuser()
