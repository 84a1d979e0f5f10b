"""The shape of a config: its sections, each a frozen dataclass whose fields say what they accept.

Every field of a section carries its rule (:mod:`.checks`), so the keys a section accepts and
the values each key accepts are stated once, here. A config's YAML form (``to_dict``) holds
every value, defaults included: that is what a run logs and what ``reproduce`` reads back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .checks import (
    INTERNAL,
    RULE,
    ConfigError,
    Rule,
    check,
    choice,
    flag,
    integer,
    names,
    number,
    numbers_by_name,
    parse_section,
    reject_unknown_keys,
    text,
    yaml_keys,
)
from .search_space import SweepSpec

DEFAULT_SEED = 42
BLOCKS = ("dataset", "model", "evaluator")


@dataclass(frozen=True)
class BlockSpec:
    """Which building block to use and the keyword arguments to build it with.

    Attributes:
        type: A short built-in name (``sklearn``, ``classification``...) or an import path
            such as ``my_package.datasets.MyDataset``.
        options: Keyword arguments for the block's constructor.
    """

    type: str
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, section: str, raw: object) -> BlockSpec:
        """Read a block from its YAML form: a mapping with ``type``, or just the type name."""
        if isinstance(raw, str):
            return cls(type=raw)
        if not isinstance(raw, Mapping) or not isinstance(raw.get("type"), str):
            raise ConfigError(
                f"'{section}' must be a type name or a mapping with a 'type' key, "
                f"e.g. '{section}.type=sklearn'; got {raw!r}"
            )
        options = {key: value for key, value in raw.items() if key != "type"}
        return cls(type=raw["type"], options=options)

    def to_dict(self) -> dict[str, Any]:
        """Return the YAML form of the block."""
        return {"type": self.type, **self.options}


def _fraction_or_count(value: float) -> bool:
    if isinstance(value, float):
        return 0 < value < 1
    return value >= 1


SPLIT_METHODS = ("hash", "random")


@dataclass(frozen=True)
class SplitSpec:
    """How the held-out evaluation rows are drawn; the same seed always draws the same rows.

    Attributes:
        method: ``hash`` (default): a row's side comes from a hash of its key salted with the
            seed, so rows stay on their side as data grows; ``random``: scikit-learn's seeded
            shuffle (configs logged before ``method`` existed read back as ``random``).
        test_size: Fraction of rows held out for evaluation (``random`` also takes a number
            of rows, >= 1).
        seed: Random seed of the split (default: the config's ``seed``).
        stratify: ``random`` only: keep the class proportions in both parts. The hash split
            holds out each class at ``test_size`` up to sampling noise by itself.
        key: Columns that identify a row, e.g. ``[customer_id]``; None: the row's features.
    """

    method: str = field(default="hash", metadata=choice(*SPLIT_METHODS))
    test_size: float = field(
        default=0.2,
        metadata={
            RULE: Rule(
                (int, float), "a fraction in (0, 1) or a row count", test=_fraction_or_count
            )
        },
    )
    seed: int = field(default=DEFAULT_SEED, metadata=integer())
    stratify: bool = field(default=False, metadata=flag())
    key: list[str] | None = field(default=None, metadata=names(optional=True))

    def __post_init__(self) -> None:
        """Refuse what the hash split cannot do, saying what to do instead."""
        if self.method != "hash":
            return
        if not isinstance(self.test_size, float):
            raise ConfigError(
                f"split.test_size must be a fraction with split.method hash, got "
                f"{self.test_size!r}: a row count would move rows across as the data grows "
                "(or set split.method: random)"
            )
        if self.stratify:
            raise ConfigError(
                "split.stratify applies to split.method random: the hash split holds out each "
                "class at test_size by itself (docs/lifecycle.md, 'When the data grows'). "
                "Remove split.stratify, or set split.method: random"
            )


@dataclass(frozen=True)
class PromotionSpec:
    """How ``promote`` decides whether the challenger replaces the champion.

    Attributes:
        metric: The deciding metric; None: the evaluator's key metric (ROC AUC for
            classification, RMSE for regression).
        higher_is_better: The metric's direction; None: the evaluator knows it.
        margin: The challenger must beat the champion by at least this much (metric units).
        require_significant: Also require the bootstrap confidence interval of the
            difference to exclude zero.
        confidence: Level of that interval.
        resamples: Number of paired bootstrap resamples.
        minimum: Floors, e.g. ``{roc_auc: 0.8}``: a challenger worse than any of them is never
            promoted, even without a champion (for a lower-is-better metric, a ceiling).
        min_rows: When the models were trained on other data, the fewest rows neither model
            trained on that a comparison needs.
        slices: Columns to cut the promotion rows by (features, or a file's other columns):
            the challenger must not be worse than the champion on any slice.
        slice_bins: Numeric slice columns are cut into this many quantile bins.
        min_slice_rows: Slices with fewer rows are reported, not compared.
        slice_tolerance: How much worse (metric units) the challenger may be on a slice, once
            the Benjamini-Hochberg correction over the slices is applied.
    """

    metric: str | None = field(default=None, metadata=text(optional=True))
    higher_is_better: bool | None = field(
        default=None, metadata={RULE: Rule((bool,), "true, false or null", optional=True)}
    )
    margin: float = field(default=0.0, metadata=number(low=0.0))
    require_significant: bool = field(default=False, metadata=flag())
    confidence: float = field(default=0.95, metadata=number(low=0.5, high=1.0, open_high=True))
    resamples: int = field(default=1000, metadata=integer(low=100))
    minimum: dict[str, float] = field(default_factory=dict, metadata=numbers_by_name())
    min_rows: int = field(default=30, metadata=integer(low=1))
    slices: list[str] = field(default_factory=list, metadata=names(empty=True))
    slice_bins: int = field(default=4, metadata=integer(low=2))
    min_slice_rows: int = field(default=30, metadata=integer(low=2))
    slice_tolerance: float = field(default=0.02, metadata=number(low=0.0))


@dataclass(frozen=True)
class ImportanceSpec:
    """How each training measures what the model relies on: permutation importance.

    Each feature of a sample of the held-out rows is shuffled ``repeats`` times and the
    model scored again; the drop of the deciding metric is the feature's importance. The
    cost is about ``features x repeats`` scorings of ``rows`` rows.

    Attributes:
        rows: The sample of held-out rows it is measured on (all of them if fewer).
        repeats: Shuffles per feature; 0 turns it off.
    """

    rows: int = field(default=1000, metadata=integer(low=10))
    repeats: int = field(default=5, metadata=integer(low=0))


@dataclass(frozen=True)
class MonitorSpec:
    """When ``monitor`` recommends retraining the champion.

    Attributes:
        alpha: Significance level of the drift tests, after the Benjamini-Hochberg
            correction for testing many features at once.
        min_effect: A numeric feature drifts only if its Kolmogorov-Smirnov statistic is at
            least this large too (tiny shifts are significant on big batches).
        psi_threshold: A categorical feature drifts only if its population stability index
            is at least this large too.
        max_metric_drop: Retrain when the deciding metric is worse than its baseline by
            more than this (metric units); the metric and direction are the promotion ones.
    """

    alpha: float = field(default=0.05, metadata=number(low=0.0, high=1.0, open_low=True))
    min_effect: float = field(default=0.1, metadata=number(low=0.0, high=1.0))
    psi_threshold: float = field(default=0.2, metadata=number(low=0.0))
    max_metric_drop: float = field(default=0.05, metadata=number(low=0.0))


def _name(value: str) -> bool:
    return bool(value.strip())


@dataclass(frozen=True)
class ExperimentConfig:
    """One experiment: its building blocks, its split and where it is tracked.

    Attributes:
        experiment: Name of the MLflow experiment that collects the runs.
        dataset: The dataset block.
        model: The model block.
        evaluator: The evaluator block.
        split: How the held-out evaluation rows are drawn.
        seed: The seed that drives the run: the default of ``split.seed`` and ``model.seed``.
        registered_model: Name under which trained models are registered (None: not registered).
        promotion: How ``promote`` compares a challenger with the champion.
        monitor: When ``monitor`` recommends retraining.
        importance: How each training measures permutation importance.
        trust_pickle: Also load models no trusted signer signed (from outside the project):
            loading one can run any code its author put in it.
        sweep: What ``sweep`` searches, if the config declares a search space.
        source: The YAML file the config was read from, if any.
    """

    experiment: str = field(metadata={RULE: Rule((str,), "a non-empty name", test=_name)})
    dataset: BlockSpec
    model: BlockSpec
    evaluator: BlockSpec
    split: SplitSpec = field(default_factory=SplitSpec)
    seed: int = field(default=DEFAULT_SEED, metadata=integer())
    registered_model: str | None = field(default=None, metadata=text(optional=True))
    promotion: PromotionSpec = field(default_factory=PromotionSpec)
    monitor: MonitorSpec = field(default_factory=MonitorSpec)
    importance: ImportanceSpec = field(default_factory=ImportanceSpec)
    trust_pickle: bool = field(default=False, metadata=flag())
    sweep: SweepSpec | None = None
    source: Path | None = field(default=None, compare=False, metadata={INTERNAL: True})

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], source: Path | None = None) -> ExperimentConfig:
        """Build a config from its YAML form, with a clear error for anything unusable."""
        reject_unknown_keys("the config", raw, yaml_keys(cls))
        missing = [key for key in ("experiment", *BLOCKS) if key not in raw]
        if missing:
            where = f" in {source}" if source else ""
            raise ConfigError(f"Missing key(s){where}: {', '.join(missing)}")
        plain = {}  # the values that are not sections, checked by their fields' rules
        for item in fields(cls):
            if RULE in item.metadata and item.name in raw:
                check(item.name, raw[item.name], item.metadata[RULE])
                plain[item.name] = raw[item.name]
        seed = plain.setdefault("seed", DEFAULT_SEED)
        plain["registered_model"] = plain.get("registered_model") or None
        blocks = {name: BlockSpec.parse(name, raw[name]) for name in BLOCKS}
        blocks["model"].options.setdefault("seed", seed)
        return cls(
            **plain,
            **blocks,
            split=parse_section(SplitSpec, "split", raw.get("split"), seed=seed),
            promotion=parse_section(PromotionSpec, "promotion", raw.get("promotion")),
            monitor=parse_section(MonitorSpec, "monitor", raw.get("monitor")),
            importance=parse_section(ImportanceSpec, "importance", raw.get("importance")),
            sweep=SweepSpec.parse(raw.get("sweep")),
            source=source,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the YAML form of the config, defaults included."""
        shape: dict[str, Any] = {}
        for name in yaml_keys(ExperimentConfig):
            value = getattr(self, name)
            if isinstance(value, BlockSpec | SweepSpec):
                shape[name] = value.to_dict()
            elif isinstance(value, SplitSpec | PromotionSpec | MonitorSpec | ImportanceSpec):
                shape[name] = asdict(value)
            elif value is not None or name != "sweep":
                shape[name] = value
        return shape

    def to_params(self) -> dict[str, str]:
        """Return the config as flat ``section.key`` strings, the form MLflow params take."""
        return flatten(self.to_dict())


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten nested mappings into ``a.b.c`` keys with string values.

    Example:
        >>> flatten({"model": {"params": {"C": 0.5}}, "seed": 1})
        {'model.params.C': '0.5', 'seed': '1'}
    """
    flat: dict[str, str] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, prefix=f"{name}."))
        elif isinstance(value, str):
            flat[name] = value
        else:
            flat[name] = json.dumps(value) if isinstance(value, list | dict) else str(value)
    return flat
