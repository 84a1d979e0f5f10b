"""The promotion gate: does a challenger replace the champion? Plain rules, no MLflow.

``promote`` scores both models on the same rows and asks :func:`decide`: the challenger must
be better by at least the config's margin, and, if required, significantly so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import PromotionSpec
    from .comparison import MetricComparison


@dataclass(frozen=True)
class Verdict:
    """What the gate says.

    Attributes:
        promoted: Whether the challenger passes.
        reason: One sentence, with the values it rests on.
    """

    promoted: bool
    reason: str


NO_CHAMPION = Verdict(True, "no champion yet: the challenger becomes the champion")


def decide(comparison: MetricComparison, rule: PromotionSpec) -> Verdict:
    """Apply the config's rule: better by the margin (and significantly, if required)."""
    values = (
        f"{comparison.metric} {comparison.challenger:.4f} (challenger) vs "
        f"{comparison.reference:.4f} (champion), improvement {comparison.improvement:+.4f}, "
        f"{comparison.confidence:.0%} CI [{comparison.interval[0]:+.4f}, "
        f"{comparison.interval[1]:+.4f}]"
    )
    if comparison.improvement <= 0 or comparison.improvement < rule.margin:
        return Verdict(False, f"not better by the margin {rule.margin}: {values}")
    if rule.require_significant and not comparison.significant:
        return Verdict(False, f"the confidence interval does not exclude zero: {values}")
    return Verdict(True, f"better by at least the margin {rule.margin}: {values}")


def forced(verdict: Verdict, who: str, reason: str) -> Verdict:
    """Promote whatever the comparison said, saying who forced it, why, and what it said."""
    return Verdict(True, f"forced by {who} ({reason}); the comparison said: {verdict.reason}")
