"""The model card: what was promoted, on which data, with which evidence, in Markdown.

Written from a promotion's record on every decision (``MODEL_CARD.md`` on the promotion run)
and never edited by hand; the team's own words (intended use, limits, owners) come from
``docs/model-card.md`` and are carried into every card.
"""

from __future__ import annotations

from .evidence import PromotionEvidence
from .markdown import interval, number, table

TOP_FEATURES = 10


def render_model_card(evidence: PromotionEvidence) -> str:
    """Return the card of the challenger of a promotion decision."""
    model, training = evidence.challenger, evidence.training
    sections = [
        f"# Model card: {model.name} version {model.version}\n",
        f"**Decision: {evidence.outcome.replace('_', ' ')}**"
        + (" (dry run: nothing was moved)" if evidence.dry_run else "")
        + f". {evidence.reason}\n\nRecorded by the promotion run: {evidence.run_url}\n",
        _model(evidence),
        _data(evidence),
        _evaluation(evidence),
    ]
    if evidence.slices is not None:
        sections.append(slice_section(evidence))
    if training.importance:
        sections.append(_importance(evidence))
    sections += [_baseline(evidence), _reproduce(evidence)]
    human = evidence.human.strip() or "_Not written yet: fill in docs/model-card.md._"
    sections.append(f"## Intended use, limits and owners\n\n{human}\n")
    return "\n".join(sections)


def metrics_section(evidence: PromotionEvidence) -> str:
    """Every metric, against the champion with its paired interval when there is one."""
    confidence = (
        next(iter(evidence.comparisons.values())).confidence if evidence.comparisons else 0
    )
    rows = []
    for name, value in sorted(evidence.metrics.items()):
        compared = evidence.comparisons.get(name)
        rows.append(
            [
                name,
                number(value),
                number(compared.reference if compared else None),
                number(compared.improvement if compared else None, signed=True),
                interval(compared.interval if compared else None),
            ]
        )
    headers = ["metric", "challenger", "champion", "improvement", f"{confidence:.0%} interval"]
    return table(headers, rows)


def slice_section(evidence: PromotionEvidence) -> str:
    """The slice table: each slice's values, gain, corrected p-value and verdict."""
    report = evidence.slices
    assert report is not None
    rows = []
    for each in report.results:
        verdict = each.skipped or ("WORSE" if each.breach else "ok")
        rows.append(
            [
                each.slice,
                each.rows,
                number(each.challenger),
                number(each.champion),
                number(each.improvement, signed=True),
                interval(each.interval),
                "-" if each.adjusted_p_value is None else f"{each.adjusted_p_value:.3g}",
                verdict,
            ]
        )
    headers = ["slice", "rows", "challenger", "champion", "improvement", "interval",
               "adjusted p", "verdict"]  # fmt: skip
    rule = (
        f"The challenger may not be worse than the champion by more than {report.tolerance} "
        f"({report.metric}) on any slice of at least {report.min_rows} rows, after the "
        "Benjamini-Hochberg correction over the slices."
    )
    return f"## Slices\n\n{rule}\n\n{table(headers, rows)}"


def _model(evidence: PromotionEvidence) -> str:
    model = evidence.challenger
    facts = [
        ["registered model", model.name],
        ["version", model.version],
        ["URI", model.uri],
        ["flavor", model.flavor],
        ["signed by", model.signer or "nobody: unsigned, trusted by the user"],
        ["inputs (signature)", ", ".join(model.inputs) or "no signature"],
    ]
    return f"## Model\n\n{table(['', ''], facts)}"


def _data(evidence: PromotionEvidence) -> str:
    training = evidence.training
    facts = [
        ["dataset", training.dataset],
        ["dataset version", training.dataset_version],
        ["rows trained on", training.train_rows],
        ["rows held out", training.held_out_rows],
        ["held-out rows digest", training.held_out_digest],
        ["labels present in training", ", ".join(training.labels) or "-"],
    ]
    return f"## Training data\n\n{table(['', ''], facts)}"


def _evaluation(evidence: PromotionEvidence) -> str:
    against = f"version {evidence.champion}" if evidence.champion else "no champion yet"
    lines = [
        f"## Evaluation against the champion ({against})\n",
        f"Scored on {evidence.rows} (digest {evidence.rows_digest}); deciding metric "
        f"{evidence.metric}, margin {evidence.margin}.\n",
        metrics_section(evidence),
    ]
    if evidence.power:
        lines.append(f"Power: {evidence.power}.\n")
    if evidence.floors:
        lines.append(f"Floors: {'; '.join(evidence.floors)}.\n")
    return "\n".join(lines)


def _importance(evidence: PromotionEvidence) -> str:
    rows = [
        [each.feature, number(each.mean, signed=True), number(each.std)]
        for each in evidence.training.importance[:TOP_FEATURES]
    ]
    headers = ["feature", f"{evidence.metric} drop when shuffled", "std"]
    intro = (
        f"Permutation importance on held-out rows, measured by the training run (top "
        f"{min(TOP_FEATURES, len(evidence.training.importance))}):"
    )
    return f"## What the model relies on\n\n{intro}\n\n{table(headers, rows)}"


def _baseline(evidence: PromotionEvidence) -> str:
    training = evidence.training
    shown = ", ".join(f"{name} {value:.4f}" for name, value in sorted(evidence.metrics.items()))
    return (
        "## The baseline monitor will use\n\n"
        f"- Metrics on the promotion rows ({evidence.rows_digest}): {shown}.\n"
        f"- Drift reference: the {training.train_rows} rows version {evidence.challenger.version} "
        f"trained on (dataset version {training.dataset_version}, from its row lineage).\n"
        f"- Labels: {', '.join(training.labels) or '-'}; a batch with other labels is a reason "
        "to retrain.\n"
    )


def _reproduce(evidence: PromotionEvidence) -> str:
    training = evidence.training
    facts = [
        ["training run", training.run_id],
        ["commit", training.commit or "not in git"],
        ["uncommitted changes", training.dirty],
        ["environment files (SHA-256)", training.environment_digest],
        ["seed", training.seed],
    ]
    return (
        f"## Reproduce it\n\n{table(['', ''], facts)}\n"
        f"The config, as the training used it:\n\n```yaml\n{training.config.rstrip()}\n```\n"
    )
