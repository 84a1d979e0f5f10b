"""The rows a promotion scores both models on: held out by both, or new to both.

When both models were trained with the config's split of today's data, they are scored on
its held-out rows, as every training scored its model. When the data grew or changed since
one of them was trained, the held-out rows may include rows that model trained on; then the
rows are today's held-out rows that neither model trained on, proven from both training
runs' row lineage (:mod:`..datasets.lineage`), and the promotion needs at least
``promotion.min_rows`` of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import blocks
from ..datasets import RowLineage, content_digest, fresh_rows
from ..datasets.labels import labels_of
from ..tracking import recording, registry, run_lineage, runs
from . import steps

if TYPE_CHECKING:
    from ..config import ExperimentConfig
    from ..datasets import Dataset, Split
    from ..tracking.registry import ModelVersion

SAME_SPLIT, UNSEEN_BY_BOTH, OTHER_ROWS_ALLOWED = (
    "held-out rows of both trainings",
    "held-out rows neither model trained on",
    "held-out rows, other rows allowed",
)


@dataclass(frozen=True)
class Rows:
    """The rows both models are scored on, and where they come from.

    Attributes:
        dataset: The config's dataset.
        split: Its split today.
        mask: Which of the split's held-out rows are scored.
        digest: The scored rows' content digest.
        selection: How they were chosen (one of the constants above).
        origin: Counts the promotion run records: held out by both, new since the champion
            was trained, left out because a model trained on them.
        mismatches: Models trained with other rows, compared all the same (recorded).
        lineages: Each model's row lineage, by role, when every model has one.
    """

    dataset: Dataset
    split: Split
    mask: np.ndarray
    digest: str
    selection: str
    origin: dict[str, int] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)
    lineages: dict[str, RowLineage] = field(default_factory=dict)

    @property
    def features(self) -> pd.DataFrame:
        """The scored rows' features."""
        return self.split.test_features[self.mask]

    @property
    def target(self) -> pd.Series:
        """The scored rows' target."""
        return self.split.test_target[self.mask]

    @property
    def fingerprints(self) -> np.ndarray:
        """The scored rows' fingerprints (:mod:`..datasets.fingerprints`)."""
        return self.split.test_rows[self.mask]

    def describe(self) -> str:
        """Which rows, and where they come from, e.g. for the command's output."""
        described = f"{len(self.target)} {self.selection}"
        if self.selection == UNSEEN_BY_BOTH:
            described += f" ({self.origin['rows.held_out_by_both']} held out by both"
            if "rows.new_since_champion" in self.origin:
                described += f", {self.origin['rows.new_since_champion']} new since the champion"
            described += ")"
        return described

    def as_input(self) -> object:
        """The scored rows as an MLflow dataset input of the promotion run."""
        return recording.rows_input(self.dataset, self.features, self.target)

    def training_labels(self, role: str) -> list[str] | None:
        """The target values a model trained on, as text (None: unknown)."""
        lineage = self.lineages.get(role)
        if lineage is None:
            return None if self.selection != SAME_SPLIT else labels_of(self.split.train_target)
        rows = np.concatenate([self.split.train_rows, self.split.test_rows])
        target = pd.concat([self.split.train_target, self.split.test_target])
        return labels_of(target[lineage.trained_on(rows)])


def promotion_rows(
    config: ExperimentConfig, versions: dict[str, ModelVersion], allow_other_rows: bool
) -> Rows:
    """Choose the rows to score the models on (``versions``: each model's version, by role).

    Raises:
        RefusedError: A model was trained on other data and too few rows remain that no model
            trained on, or it was trained before lineage was recorded (without
            ``allow_other_rows``).
    """
    dataset = blocks.build_dataset(config.dataset)
    split = steps.held_out(config, dataset)
    everything = np.ones(len(split.test_target), dtype=bool)
    digest = content_digest(split.test_features, split.test_target)
    logged = {role: _held_out_digest(version) for role, version in versions.items()}
    if all(value == digest for value in logged.values()):
        return Rows(dataset, split, everything, digest, SAME_SPLIT)

    lineages = {role: run_lineage.read_lineage(v.run_id) for role, v in versions.items()}
    if all(lineage is not None for lineage in lineages.values()):
        known = {role: lineage for role, lineage in lineages.items() if lineage is not None}
        fresh = fresh_rows(split.test_rows, known)
        origin = {
            "rows.held_out_today": len(split.test_rows),
            "rows.compared": fresh.count,
            "rows.held_out_by_both": fresh.held_out_by_all,
            **{f"rows.trained_on_by.{role}": count for role, count in fresh.trained_on.items()},
        }
        if "champion" in fresh.never_seen_by:
            origin["rows.new_since_champion"] = fresh.never_seen_by["champion"]
        if fresh.count >= config.promotion.min_rows:
            scored = content_digest(split.test_features[fresh.mask], split.test_target[fresh.mask])
            return Rows(dataset, split, fresh.mask, scored, UNSEEN_BY_BOTH, origin, [], known)
        problem = (
            f"only {fresh.count} of today's {len(split.test_rows)} held-out rows trained neither "
            f"model ({_trained_on(fresh.trained_on)}); promotion.min_rows is "
            f"{config.promotion.min_rows}"
        )
        advice = "Wait for more labelled rows, lower promotion.min_rows"
    else:
        old = [role for role, lineage in lineages.items() if lineage is None]
        problem = (
            f"the {' and the '.join(old)} trained on other rows and, trained before row lineage "
            "was recorded, cannot say which: scored on rows it has seen, its score would be "
            "inflated"
        )
        advice = "Train it again on today's data"
    mismatches = [
        f"the {role} (version {versions[role].version}) held out rows {value} in training"
        for role, value in logged.items()
        if value != digest
    ]
    if not allow_other_rows:
        raise steps.RefusedError(
            f"Cannot compare on held-out rows {digest}: {problem}. {advice}, or pass "
            "--allow-other-rows to compare on all of today's held-out rows anyway (recorded on "
            "the promotion run)."
        )
    return Rows(dataset, split, everything, digest, OTHER_ROWS_ALLOWED, {}, mismatches)


def _held_out_digest(version: ModelVersion) -> str | None:
    return runs.input_digest(registry.training_run(version), recording.EVALUATION)


def _trained_on(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} trained the {role}" for role, count in counts.items())
