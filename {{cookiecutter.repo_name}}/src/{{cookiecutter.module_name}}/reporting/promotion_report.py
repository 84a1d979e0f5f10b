"""The promotion report: a decision and its evidence, short enough for a pull request."""

from __future__ import annotations

from .evidence import PromotionEvidence
from .model_card import metrics_section, slice_section


def render_promotion_report(evidence: PromotionEvidence) -> str:
    """Return the report in Markdown: decision, metrics with intervals, slices, power, run."""
    model = evidence.challenger
    against = f"version {evidence.champion}" if evidence.champion else "no champion yet"
    title = "Promotion (dry run)" if evidence.dry_run else "Promotion"
    lines = [
        f"## {title}: {model.name} version {model.version} against {against}\n",
        f"**{evidence.outcome.replace('_', ' ').capitalize()}.** {evidence.reason}\n",
        f"Scored on {evidence.rows}.\n",
        metrics_section(evidence),
    ]
    if evidence.power:
        lines.append(f"Power: {evidence.power}.\n")
    if evidence.slices is not None:
        lines.append(slice_section(evidence).replace("## Slices", "### Slices"))
    lines.append(f"The run, with the model card (`MODEL_CARD.md`): {evidence.run_url}\n")
    return "\n".join(lines)
