"""Reproduce: train a logged run again from its own config, and check every metric agrees.

The run's ``config.yaml`` (seeds and defaults included) rebuilds the experiment. Before
training, the code and the data are checked against what the run logged: another commit or
another dataset version would make a difference meaningless, so the reproduction is refused
unless the user allows it, and then the mismatch is recorded on the reproduction run. The
reproduction is a training run of its own (type ``reproduction``, tag ``reproduces``), not
registered, that holds the verdict and the difference of every metric.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import blocks, provenance
from ..paths import PROJECT_ROOT
from ..tracking import decision_records, recording, run_configs, runs, store
from . import RefusedError, steps
from .train import train

if TYPE_CHECKING:
    from ..config import ExperimentConfig
    from ..tracking.runs import Run

logger = logging.getLogger(__name__)

IDENTICAL, WITHIN_TOLERANCE, DIFFERENT = "identical", "within tolerance", "different"


@dataclass(frozen=True)
class Reproduction:
    """How a run's metrics compare with those of its reproduction.

    Attributes:
        original_run_id: The run that was reproduced.
        run: The reproduction's own training run.
        metrics: Each metric of the original run: (original value, reproduced value).
        verdict: ``identical``, ``within tolerance`` or ``different``.
        mismatches: Differences of code or data the user allowed, if any.
        warnings: Uncommitted changes then or now: the code may differ from the commit.
    """

    original_run_id: str
    run: steps.RunSummary
    metrics: dict[str, tuple[float, float | None]]
    verdict: str
    mismatches: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def reproduced(self) -> bool:
        """Whether every metric came out the same, up to the tolerance."""
        return self.verdict != DIFFERENT


def reproduce(
    run_id: str, *, tolerance: float = 1e-9, allow_mismatch: bool = False
) -> Reproduction:
    """Train a logged run again and compare every metric it logged.

    Args:
        run_id: The training run to reproduce.
        tolerance: Largest difference (absolute, or relative to the value) still counted
            as the same metric.
        allow_mismatch: Go ahead when the commit or the dataset differs from the run's.

    Raises:
        RefusedError: The run does not exist, is not a finished training run, or the code
            or data differ and ``allow_mismatch`` is false.
    """
    store.configure()
    original = _finished_training_run(run_id)
    config = run_configs.run_config(run_id)
    logger.info("Reproducing run %s (%s)", run_id, original.info.run_name)

    mismatches, warnings = _mismatches(original, config), _uncommitted_changes(original)
    if mismatches and not allow_mismatch:
        raise RefusedError(
            f"Run {run_id} cannot be reproduced as it was: {'; '.join(mismatches)}. "
            "Check out its commit and data, or pass --allow-mismatch (recorded on the run)."
        )
    for mismatch in mismatches:
        logger.warning("      going on although %s", mismatch)
    for warning in warnings:
        logger.warning("      note: %s", warning)

    # The same config, never registered: a reproduction is a check, not a candidate.
    again = train(
        config,
        register=False,
        run_name=f"reproduce {original.info.run_name or run_id}",
        tags=decision_records.reproduction_tags(run_id, mismatches + warnings),
    )
    metrics = {
        name: (value, again.metrics.get(name)) for name, value in original.data.metrics.items()
    }
    verdict = _verdict(metrics, tolerance)
    decision_records.record_reproduction(again.run_id, metrics, verdict, tolerance)
    return Reproduction(run_id, again, metrics, verdict, tuple(mismatches), tuple(warnings))


def _finished_training_run(run_id: str) -> Run:
    run = runs.find_run(run_id)
    if run is None:
        raise RefusedError(f"No run {run_id!r} in {store.tracking_uri()}")
    run_type = run.data.tags.get(runs.RUN_TYPE_TAG)
    if run_type != "train" or run.info.status != "FINISHED":
        raise RefusedError(
            f"Run {run_id} is a {run_type or 'untyped'} run that ended {run.info.status}: "
            "only finished training runs can be reproduced"
        )
    return run


def _mismatches(original: Run, config: ExperimentConfig) -> list[str]:
    """Say how the commit and the dataset here differ from what the run logged."""
    found = []
    logged_commit = original.data.tags.get(provenance.COMMIT_TAG)
    commit = provenance.git_state(PROJECT_ROOT).commit
    if logged_commit != commit:
        found.append(f"the run was logged at commit {logged_commit}, the code is at {commit}")
    logged_version = original.data.params.get(recording.DATASET_VERSION_PARAM)
    version = blocks.build_dataset(config.dataset).version
    if logged_version != version:
        found.append(f"the dataset version was {logged_version}, it is now {version}")
    return found


def _uncommitted_changes(original: Run) -> list[str]:
    """Uncommitted changes, then or now, which the commit check cannot see."""
    found = []
    if original.data.tags.get(provenance.DIRTY_TAG) == "true":
        found.append("the run was logged with uncommitted changes (see code/uncommitted.diff)")
    if provenance.git_state(PROJECT_ROOT).dirty:
        found.append("the working tree has uncommitted changes")
    return found


def _verdict(metrics: dict[str, tuple[float, float | None]], tolerance: float) -> str:
    if all(again == value for value, again in metrics.values()):
        return IDENTICAL
    close = all(
        again is not None and math.isclose(value, again, rel_tol=tolerance, abs_tol=tolerance)
        for value, again in metrics.values()
    )
    return WITHIN_TOLERANCE if close else DIFFERENT
