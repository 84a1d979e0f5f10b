"""The promotion gate: does a challenger replace the champion? Plain rules, no MLflow.

``promote`` scores both models on the same rows and asks :func:`decide`: the challenger must
be better by at least the config's margin, and, if required, significantly so; a comparison
whose rows are too few to detect the margin says so rather than "not better". It must not be
significantly worse by more than the tolerance on any slice (:func:`slices`). Whatever the
comparison says, and even when there is no champion or the promotion is forced, a challenger
below one of the config's floors (``promotion.minimum``) is not promoted (:func:`floors`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import PromotionSpec
    from .base import Evaluator
    from .comparison import MetricComparison
    from .slices import SliceReport


@dataclass(frozen=True)
class Verdict:
    """What the gate says.

    Attributes:
        promoted: Whether the challenger passes.
        reason: One sentence, with the values it rests on.
        below_floor: The floors the challenger failed, one phrase each (empty: none).
        unresolved: Significance was required and the rows cannot resolve the margin.
        slice_breaches: The slices the challenger is worse on, one phrase each.
    """

    promoted: bool
    reason: str
    below_floor: tuple[str, ...] = ()
    unresolved: bool = False
    slice_breaches: tuple[str, ...] = ()


NO_CHAMPION = Verdict(True, "no champion yet: the challenger becomes the champion")


def decide(comparison: MetricComparison, rule: PromotionSpec) -> Verdict:
    """Apply the config's rule: better by the margin (and significantly, if required)."""
    values = (
        f"{comparison.metric} {comparison.challenger:.4f} (challenger) vs "
        f"{comparison.reference:.4f} (champion), improvement {comparison.improvement:+.4f}, "
        f"{comparison.confidence:.0%} CI [{comparison.interval[0]:+.4f}, "
        f"{comparison.interval[1]:+.4f}]"
    )
    if rule.require_significant and not comparison.significant and underpowered(comparison, rule):
        return Verdict(
            False, f"cannot tell: {power_line(comparison, rule)}; {values}", unresolved=True
        )
    if comparison.improvement <= 0 or comparison.improvement < rule.margin:
        return Verdict(False, f"not better by the margin {rule.margin}: {values}")
    if rule.require_significant and not comparison.significant:
        return Verdict(False, f"the confidence interval does not exclude zero: {values}")
    return Verdict(True, f"better by at least the margin {rule.margin}: {values}")


def forced(verdict: Verdict, who: str, reason: str) -> Verdict:
    """Promote whatever the comparison said, saying who forced it, why, and what it said."""
    return Verdict(True, f"forced by {who} ({reason}); the comparison said: {verdict.reason}")


def below_floors(
    metrics: Mapping[str, float], minimum: Mapping[str, float], evaluator: Evaluator
) -> list[str]:
    """Return the floors the metrics fail, e.g. ``roc_auc 0.7100 below the floor 0.8``.

    A floor of a lower-is-better metric (``rmse: 30``) is a ceiling. A floor on a metric the
    evaluator did not compute on these rows fails: nothing shows the model clears it.
    """
    failed = []
    for metric, floor in minimum.items():
        if metric not in metrics:
            failed.append(f"{metric} not computed (computed: {', '.join(sorted(metrics))})")
            continue
        higher = evaluator.higher_is_better(metric)
        value = metrics[metric]
        if value < floor if higher else value > floor:
            limit = "below the floor" if higher else "above the ceiling"
            failed.append(f"{metric} {value:.4f} {limit} {floor}")
    return failed


def floors(verdict: Verdict, failed: Sequence[str]) -> Verdict:
    """Hold back a challenger that failed a floor, whatever the verdict (forced or not)."""
    if not failed:
        return verdict
    return Verdict(
        False,
        f"below the config's floor (promotion.minimum): {'; '.join(failed)}; "
        f"the comparison said: {verdict.reason}",
        tuple(failed),
        verdict.unresolved,
        verdict.slice_breaches,
    )


def underpowered(comparison: MetricComparison, rule: PromotionSpec) -> bool:
    """Whether the margin is below the smallest difference these rows can detect."""
    return rule.margin < comparison.minimum_detectable


def power_line(comparison: MetricComparison, rule: PromotionSpec) -> str:
    """One sentence: the smallest difference the rows can detect, against the margin."""
    if comparison.standard_error == 0:  # e.g. a retrained model predicting exactly as before
        return (
            f"with {comparison.rows} rows, {comparison.metric} does not differ on any resample: "
            "the two models score these rows alike"
        )
    line = (
        f"with {comparison.rows} rows, {comparison.metric} differences smaller than "
        f"{comparison.minimum_detectable:.4f} are likely to go unseen "
        f"({comparison.confidence:.0%} confidence, 80% power)"
    )
    if underpowered(comparison, rule):
        return f"{line}: the margin {rule.margin} is below that"
    return f"{line}: the margin {rule.margin} can be resolved"


def slices(verdict: Verdict, report: SliceReport | None) -> Verdict:
    """Hold back a challenger significantly worse than the tolerance on a slice."""
    if report is None or not report.breaches:
        return verdict
    breaches = tuple(
        f"{each.slice}: {report.metric} {each.challenger:.4f} (challenger) vs "
        f"{each.champion:.4f} (champion), adjusted p {each.adjusted_p_value:.3g}"
        for each in report.breaches
    )
    return Verdict(
        False,
        f"worse than the champion by more than {report.tolerance} on "
        f"{'; '.join(breaches)}; overall: {verdict.reason}",
        slice_breaches=breaches,
    )
