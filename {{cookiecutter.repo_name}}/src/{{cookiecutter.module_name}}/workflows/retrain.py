"""Retrain: the loop as one command, the practice's "retrain worker".

It monitors a new batch against the champion; when that recommends retraining (or when
asked to ``always``), it trains on the config's current data and promotes the new version
if it beats the champion on rows neither model trained on. Each step is the workflow of its
own command, recorded as its own run; one ``retrain`` run links them and says what happened.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..tracking import decision_records, registry, runs, store
from . import steps
from .monitor import MonitorReport, monitor
from .promote import Decision, promote
from .train import train

if TYPE_CHECKING:
    from pathlib import Path

    from ..config import ExperimentConfig

logger = logging.getLogger(__name__)

NOTHING_TO_DO, PROMOTED, KEPT, BELOW_FLOOR, REFUSED = (
    "nothing_to_do",
    "retrained_and_promoted",
    "retrained_champion_kept",
    "retrained_below_floor",
    "refused",
)


@dataclass
class RetrainStory:
    """What ``retrain`` did and why, step by step.

    Attributes:
        outcome: One of the constants above.
        lines: The story, one sentence a step.
        monitoring: The monitor report (None: there was no champion to monitor).
        training: The training run (None: nothing was trained).
        decision: The promotion decision (None: nothing was promoted).
        run: The ``retrain`` run that links them.
    """

    outcome: str = NOTHING_TO_DO
    lines: list[str] = field(default_factory=list)
    monitoring: MonitorReport | None = None
    training: steps.RunSummary | None = None
    decision: Decision | None = None
    run: steps.RunSummary | None = None


def retrain(config: ExperimentConfig, batch_path: Path, *, always: bool = False) -> RetrainStory:
    """Monitor a batch; retrain and promote when it calls for it (or ``always``).

    Raises:
        RefusedError: A step refused (the ``retrain`` run records which, and why).
    """
    name = steps.registered_name(config)
    store.configure()
    story = RetrainStory()
    try:
        if registry.version_by_alias(name, registry.CHAMPION_ALIAS) is None:
            story.lines.append(f"{name!r} has no champion yet: training the first one")
        else:
            logger.info("== Monitoring %s against the champion", batch_path.name)
            story.monitoring = report = monitor(config, batch_path)
            story.lines.append(_monitored(report))
            if not report.retrain and not always:
                story.lines.append("Nothing to do: the champion holds")
                return _recorded(config, story, batch_path)
            if not report.retrain:
                story.lines.append("Retraining all the same (--always)")
        logger.info("== Training on the config's current data")
        story.training = trained = train(config)
        version = str(trained.registered_uri).rpartition("/")[2]
        story.lines.append(f"Trained version {version} in run {trained.run_id}")
        logger.info("== Promoting version %s if it beats the champion", version)
        story.decision = decision = promote(config, version=version)
        story.outcome = _outcome(decision)
        story.lines.append(_promoted(decision))
    except steps.RefusedError as error:
        story.outcome = REFUSED
        story.lines.append(f"Refused: {error}")
        _recorded(config, story, batch_path)
        raise
    return _recorded(config, story, batch_path)


def _monitored(report: MonitorReport) -> str:
    verdict = "retraining recommended" if report.retrain else "no retraining needed"
    return f"Monitored the batch: {verdict} ({'; '.join(report.reasons)})"


def _outcome(decision: Decision) -> str:
    if decision.promoted:
        return PROMOTED
    return BELOW_FLOOR if decision.below_floor else KEPT


def _promoted(decision: Decision) -> str:
    if decision.promoted:
        told = f"Promoted version {decision.challenger}"
    else:
        kept = f"version {decision.champion} stays" if decision.champion else "no version is"
        told = f"Not promoted, {kept} the champion"
    return f"{told}, scored on {decision.rows}: {decision.reason}"


def _recorded(config: ExperimentConfig, story: RetrainStory, batch_path: Path) -> RetrainStory:
    """Record the ``retrain`` run: the outcome, the story and the runs of each step."""
    uri, experiment_id = steps.open_experiment(config)
    linked = {
        "monitor": story.monitoring.run if story.monitoring else None,
        "training": story.training,
        "promotion": story.decision.run if story.decision else None,
    }
    with runs.tracked_run(experiment_id, "retrain", run_name=f"retrain {batch_path.name}") as run:
        decision_records.record_retrain(
            story.outcome,
            story.lines,
            batch_path,
            {step: summary.run_id for step, summary in linked.items() if summary is not None},
        )
    story.run = steps.RunSummary(run.info.run_id, experiment_id, uri, {})
    return story
