"""What a promotion decided on, as plain values: the input of the card and the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..evaluation import MetricComparison
    from ..evaluation.importance import FeatureImportance
    from ..evaluation.slices import SliceReport


@dataclass(frozen=True)
class ModelFacts:
    """The registered model version a decision is about.

    Attributes:
        name: The registered model.
        version: The version number.
        uri: Its fixed URI, e.g. ``models:/churn/3``.
        flavor: The MLflow flavor it is stored in.
        signer: Who signed it (None: unsigned, trusted by the user).
        inputs: Its signature's input columns, ``name: type`` each.
    """

    name: str
    version: str
    uri: str
    flavor: str
    signer: str | None
    inputs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TrainingFacts:
    """What the version's training run recorded.

    Attributes:
        run_id: The training run.
        dataset: The dataset's name.
        dataset_version: Its content digest at training.
        train_rows: Rows trained on.
        held_out_rows: Rows held out.
        held_out_digest: The held-out rows' digest.
        labels: The labels present in training (classifiers), else empty.
        config: The config it was trained with, as YAML.
        seed: The config's seed.
        commit: The git commit of the code (None outside git).
        dirty: Whether the code had uncommitted changes.
        environment_digest: SHA-256 of the environment's lock and requirement files.
        importance: Permutation importance, most important first (empty: not measured).
    """

    run_id: str
    dataset: str
    dataset_version: str
    train_rows: int
    held_out_rows: int
    held_out_digest: str
    labels: list[str]
    config: str
    seed: int
    commit: str | None
    dirty: str
    environment_digest: str
    importance: list[FeatureImportance] = field(default_factory=list)


@dataclass(frozen=True)
class PromotionEvidence:
    """A promotion decision and everything it rests on.

    Attributes:
        outcome: ``promoted``, ``kept`` or ``below_floor`` (``would be ...`` for a dry run).
        promoted: Whether the challenger is (or would be) the champion.
        dry_run: Whether nothing was moved.
        reason: The decision's reason, with its values.
        challenger: The challenger.
        training: The challenger's training.
        champion: The champion's version (None: there was none).
        rows: Which rows both were scored on, in words.
        rows_digest: Their content digest.
        metric: The deciding metric.
        margin: The margin the challenger had to clear.
        metrics: The challenger's metrics on the rows (the baseline ``monitor`` will use).
        comparisons: Every metric compared with the champion, paired intervals included.
        power: The power line (empty without a champion).
        slices: The slice comparison (None: no slices configured, or no champion).
        floors: The floors and whether each held, one phrase each.
        run_url: The promotion run's page.
        human: The team's own section of the card (intended use, limits, owners).
    """

    outcome: str
    promoted: bool
    dry_run: bool
    reason: str
    challenger: ModelFacts
    training: TrainingFacts
    champion: str | None
    rows: str
    rows_digest: str
    metric: str
    margin: float
    metrics: dict[str, float]
    comparisons: dict[str, MetricComparison]
    power: str
    slices: SliceReport | None
    floors: list[str]
    run_url: str
    human: str = ""
