"""The evidence of a promotion decision, for the model card and the promotion report.

Gathered from the decision itself and from the store (the challenger's verified copy and its
training run), with the team's own section from ``docs/model-card.md``; rendered by
:mod:`..reporting`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..paths import PROJECT_ROOT
from ..reporting import PromotionEvidence
from ..tracking import registry, run_facts

if TYPE_CHECKING:
    from ..config import ExperimentConfig
    from ..evaluation import Evaluator, Objective, gate
    from .contenders import Contender
    from .promotion_comparison import Comparison, Scores
    from .promotion_rows import Rows

HUMAN_SECTION = PROJECT_ROOT / "docs" / "model-card.md"
CARRIED = "<!-- Carried into every model card from here on. -->"


def gather(
    config: ExperimentConfig,
    contenders: list[Contender],
    rows: Rows,
    scores: dict[str, Scores],
    comparison: Comparison | None,
    decided: tuple[gate.Verdict, str, bool],
    evaluator: Evaluator,
    objective: Objective,
    run_url: str,
) -> PromotionEvidence:
    """Everything the decision rests on, as plain values.

    ``decided``: the verdict, the outcome (``promoted``, ``kept``, ``below_floor``) and
    whether it was a dry run.
    """
    verdict, outcome, dry_run = decided
    challenger = contenders[0]
    labels = rows.training_labels("challenger") if evaluator.classifies else None
    training = run_facts.training_facts(registry.training_run(challenger.version), labels)
    return PromotionEvidence(
        outcome=f"would be {outcome}" if dry_run else outcome,
        promoted=verdict.promoted,
        dry_run=dry_run,
        reason=verdict.reason,
        challenger=run_facts.model_facts(challenger.version, challenger.stored),
        training=training,
        champion=contenders[1].number if len(contenders) > 1 else None,
        rows=rows.describe(),
        rows_digest=rows.digest,
        metric=objective.metric,
        margin=config.promotion.margin,
        metrics=scores["challenger"].metrics,
        comparisons=comparison.metrics if comparison else {},
        power=comparison.power if comparison else "",
        slices=comparison.slices if comparison else None,
        floors=_floors(config, scores["challenger"].metrics, verdict, evaluator),
        run_url=run_url,
        human=human_section(),
    )


def human_section() -> str:
    """The team's own words: ``docs/model-card.md`` after its marker, headings one level down."""
    if not HUMAN_SECTION.is_file():
        return ""
    text = HUMAN_SECTION.read_text(encoding="utf-8")
    lines = text.partition(CARRIED)[2].splitlines() if CARRIED in text else text.splitlines()
    return "\n".join(f"#{line}" if line.startswith("#") else line for line in lines).strip()


def _floors(
    config: ExperimentConfig,
    metrics: dict[str, float],
    verdict: gate.Verdict,
    evaluator: Evaluator,
) -> list[str]:
    """Each floor, the challenger's value and whether it held."""
    shown = []
    for metric, floor in config.promotion.minimum.items():
        limit = ">=" if evaluator.higher_is_better(metric) else "<="
        failed = any(phrase.startswith(f"{metric} ") for phrase in verdict.below_floor)
        value = metrics.get(metric)
        observed = "not computed" if value is None else f"{value:.4f}"
        shown.append(f"{metric} {limit} {floor}: {observed}, {'failed' if failed else 'held'}")
    return shown
