"""Promote: the candidate (challenger) replaces the champion only if it wins on the same rows.

Both models are loaded, verified, and scored here, in the promotion run, on the same rows
with the same evaluator: metrics stored by other runs are never compared. The rows are the
config's held-out rows, or, when the data changed since a model was trained, those of them
that neither model trained on (:mod:`.promotion_rows`). Every metric is compared with a
paired interval, and each slice the config names, and the run says how small a difference
the rows can detect (:mod:`.promotion_comparison`). A challenger below one of the config's
floors is never promoted. Every decision, including a refusal to promote and a dry run, is a
``promotion`` run of its own with a model card (``MODEL_CARD.md``), and it says "promoted"
only once the champion alias has moved.
"""

from __future__ import annotations

import getpass
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import blocks
from ..evaluation import deciding_metric, gate
from ..evaluation.figures import metrics_side_by_side, slice_gains
from ..reporting import PromotionEvidence, render_model_card
from ..tracking import (
    champions,
    decision_records,
    recording,
    registry,
    run_lineage,
    runs,
    store,
)
from . import promotion_evidence, steps
from .contenders import Contender, load_contender, promotion_run_name, versions_to_compare
from .promotion_comparison import Comparison, Scores, compare
from .promotion_rows import Rows, promotion_rows

if TYPE_CHECKING:
    from ..config import ExperimentConfig
    from ..evaluation import Evaluator, MetricComparison

logger = logging.getLogger(__name__)

PROMOTED, KEPT, BELOW_FLOOR, DRY_RUN = "promoted", "kept", "below_floor", "dry_run"


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
        below_floor: The floors (``promotion.minimum``) the challenger failed.
        rows: Which rows both were scored on, e.g. ``148 held-out rows neither model trained
            on (101 held out by both, 47 new since the champion)``.
        dry_run: Whether nothing was moved (``promoted`` then says what would have been).
        evidence: What the decision rests on, as the model card and the report show it.
    """

    promoted: bool
    reason: str
    challenger: str
    champion: str | None
    comparison: MetricComparison | None = None
    run: steps.RunSummary | None = None
    below_floor: tuple[str, ...] = ()
    rows: str = ""
    dry_run: bool = False
    evidence: PromotionEvidence | None = None

    @property
    def outcome(self) -> str:
        """``promoted``, ``kept`` or ``below_floor``."""
        if self.promoted:
            return PROMOTED
        return BELOW_FLOOR if self.below_floor else KEPT


def promote(
    config: ExperimentConfig,
    *,
    version: str | None = None,
    allow_other_rows: bool = False,
    force_reason: str | None = None,
    dry_run: bool = False,
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
        dry_run: Decide and record the decision, but move no alias and write no baseline.

    Raises:
        RefusedError: No challenger, a challenger whose training run did not finish, or models
            trained with other held-out rows (without ``allow_other_rows``).
    """
    name = steps.registered_name(config)
    # Connect first: the registry lookups need the project's store. Housekeeping (which
    # withdraws dead runs' versions) waits until the challenger has been refused or accepted.
    store.configure()
    challenger_version, champion_version = versions_to_compare(name, version)
    if champion_version is not None and champion_version.version == challenger_version.version:
        logger.info("Version %s of %r is already the champion", challenger_version.version, name)
        return Decision(True, "already the champion", str(challenger_version.version), None)

    progress = steps.Progress(4 if champion_version is not None else 3, logger)
    progress.step("Loading both models, verified, and the rows they are scored on")
    contenders = [
        load_contender(role, each, config)
        for role, each in (("challenger", challenger_version), ("champion", champion_version))
        if each is not None
    ]
    evaluator = blocks.build_evaluator(config.evaluator)
    versions = {each.role: each.version for each in contenders}
    rows = promotion_rows(config, versions, allow_other_rows)
    logger.info("      scored on %s", rows.describe())

    objective = deciding_metric(config, evaluator)
    uri, experiment_id = steps.open_experiment(config)
    with runs.tracked_run(
        experiment_id, "promotion", run_name=promotion_run_name(contenders)
    ) as run:
        _record_what_is_compared(contenders, rows)
        scores = {}
        for each in contenders:
            progress.step("Scoring %s version %s", each.role, each.number)
            scores[each.role] = _score(each, evaluator, rows)
        comparison = (
            compare(scores, rows, evaluator, objective, config) if len(scores) > 1 else None
        )
        verdict = _verdict(comparison, scores["challenger"], evaluator, config, force_reason)
        progress.step("Decision: %s", "promote" if verdict.promoted else "keep the champion")
        _tell(comparison)
        _record(config, contenders, rows, verdict, comparison, force_reason, dry_run)
        recording.log_figure(_side_by_side(contenders, scores), "challenger_vs_champion")
        url = store.run_url(uri, experiment_id, run.info.run_id)
        decided = (verdict, _outcome(verdict), dry_run)
        evidence = promotion_evidence.gather(
            config, contenders, rows, scores, comparison, decided, evaluator, objective, url
        )
        if dry_run:
            recording.log_outcome(DRY_RUN)
        elif verdict.promoted:
            labels = rows.training_labels("challenger") if evaluator.classifies else None
            _move_champion(name, contenders, scores["challenger"], rows, run.info.run_id, labels)
        else:
            recording.log_outcome(_outcome(verdict))
        decision_records.log_model_card(render_model_card(evidence))
    if not dry_run:
        registry.link_model_card(challenger_version, run.info.run_id)
    summary = steps.RunSummary(
        run_id=run.info.run_id,
        experiment_id=experiment_id,
        tracking_uri=uri,
        metrics=scores["challenger"].metrics,
        model_uri=registry.version_uri(challenger_version),
    )
    return Decision(
        promoted=verdict.promoted,
        reason=verdict.reason,
        challenger=contenders[0].number,
        champion=contenders[1].number if len(contenders) > 1 else None,
        comparison=comparison.deciding if comparison else None,
        run=summary,
        below_floor=verdict.below_floor,
        rows=rows.describe(),
        dry_run=dry_run,
        evidence=evidence,
    )


def _outcome(verdict: gate.Verdict) -> str:
    if verdict.promoted:
        return PROMOTED
    return BELOW_FLOOR if verdict.below_floor else KEPT


def _tell(comparison: Comparison | None) -> None:
    """Print the slices' verdicts and the power line."""
    if comparison is None:
        return
    for each in comparison.slices.results if comparison.slices else []:
        if each.skipped:
            logger.info("      slice %-28s %5d rows: %s", each.slice, each.rows, each.skipped)
        else:
            logger.info(
                "      slice %-28s %5d rows: %+.4f, adjusted p %.3g%s",
                each.slice,
                each.rows,
                each.improvement,
                each.adjusted_p_value,
                "  WORSE" if each.breach else "",
            )
    logger.info("      power: %s", comparison.power)


def _score(contender: Contender, evaluator: Evaluator, rows: Rows) -> Scores:
    """Score one model on the rows and log its metrics under ``<role>.``."""
    predictions = steps.score(contender.stored.model, rows.features)
    evaluation = steps.evaluate(evaluator, rows.target, predictions)
    recording.log_evaluation(evaluation, rows.target, predictions, prefix=f"{contender.role}.")
    return Scores(evaluation.metrics, predictions)


def _record_what_is_compared(contenders: list[Contender], rows: Rows) -> None:
    """The rows (as an input, and their fingerprints) and why each model was trusted."""
    recording.log_inputs(evaluation=rows.as_input())
    run_lineage.log_compared_rows(rows.fingerprints)
    for each in contenders:
        recording.log_model_trust(each.stored.uri, each.stored.signer, role=each.role)


def _verdict(
    comparison: Comparison | None,
    challenger: Scores,
    evaluator: Evaluator,
    config: ExperimentConfig,
    force_reason: str | None,
) -> gate.Verdict:
    """The gate's rule and the slices, then a forced promotion, then the floors.

    Not even ``--force`` passes a floor.
    """
    verdict = gate.NO_CHAMPION
    if comparison is not None:
        verdict = gate.slices(
            gate.decide(comparison.deciding, config.promotion), comparison.slices
        )
    if force_reason is not None:
        verdict = gate.forced(verdict, _who(), force_reason)
    failed = gate.below_floors(challenger.metrics, config.promotion.minimum, evaluator)
    return gate.floors(verdict, failed)


def _record(
    config: ExperimentConfig,
    contenders: list[Contender],
    rows: Rows,
    verdict: gate.Verdict,
    comparison: Comparison | None,
    force_reason: str | None,
    dry_run: bool,
) -> None:
    """Record what the decision rests on, and why it went this way."""
    if comparison is not None and comparison.slices is not None:
        decision_records.record_slices(comparison.slices)
        report = comparison.slices
        gains = [
            (each.slice, each.improvement, each.interval, each.breach)
            for each in report.results
            if not each.skipped
        ]
        figure = slice_gains(gains, report.metric, report.tolerance)
        recording.log_figure(figure, "slices")
    decision_records.record_promotion(
        registered_model=str(config.registered_model),
        versions={each.role: each.number for each in contenders},
        objective=deciding_metric(config, blocks.build_evaluator(config.evaluator)),
        rule=config.promotion,
        rows_digest=rows.digest,
        rows_origin={"rows.selection": rows.selection, **rows.origin},
        reason=verdict.reason,
        below_floor=verdict.below_floor,
        mismatches=rows.mismatches,
        comparison=comparison.deciding if comparison else None,
        forced=(_who(), force_reason) if force_reason is not None else None,
        dry_run=dry_run,
        unresolved=verdict.unresolved,
    )


def _move_champion(
    name: str,
    contenders: list[Contender],
    scores: Scores,
    rows: Rows,
    run_id: str,
    labels: list[str] | None,
) -> None:
    """Give the challenger its baseline and the alias, then say "promoted" on the run.

    The baseline is its metrics on the promotion rows and, for a classifier, the labels it
    trained on (``monitor`` names labels it never saw).

    The run says "promoted" only once the baseline and the alias are in place; an
    interruption on the way puts back what had changed.
    """
    challenger = contenders[0]
    previous = contenders[1].version if len(contenders) > 1 else None
    with champions.promotion(name, challenger.version, previous):
        champions.record_baseline(challenger.version, scores.metrics, rows.digest, run_id, labels)
        registry.set_alias(name, registry.CHAMPION_ALIAS, challenger.version)
        recording.log_outcome(PROMOTED)


def _side_by_side(contenders: list[Contender], scores: dict[str, Scores]):  # noqa: ANN202
    """Both models' metrics, side by side: a matplotlib figure."""
    return metrics_side_by_side(
        {f"{each.role} v{each.number}": scores[each.role].metrics for each in contenders}
    )


def _who() -> str:
    """Name who forced a promotion: the tracking server user if set, else the OS user."""
    return os.environ.get("MLFLOW_TRACKING_USERNAME") or getpass.getuser()
