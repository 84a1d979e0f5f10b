"""Experiment configuration: a YAML file in ``configs/`` plus ``key=value`` overrides.

A config names the building blocks of one experiment and how its data is split::

    experiment: breast-cancer            # MLflow experiment that collects the runs
    registered_model: breast-cancer-classifier
    dataset: {type: sklearn, name: breast_cancer}
    model: {type: sklearn, estimator: sklearn.linear_model.LogisticRegression, params: {C: 1.0}}
    evaluator: classification            # shorthand for {type: classification}
    seed: 42                             # the one seed: split, model, anything random
    split: {test_size: 0.2, stratify: true}
    promotion: {metric: roc_auc, margin: 0.002}   # optional: how `promote` decides
    monitor: {alpha: 0.05, max_metric_drop: 0.05}  # optional: when `monitor` says retrain
    sweep: {params: {model.params.C: {type: float, low: 0.01, high: 10, log: true}}}

Each block's ``type`` is a short built-in name or an import path (see :mod:`.blocks`); its
other keys are the keyword arguments of that class. Overrides such as ``model.params.C=0.5``
replace one value, parsed as YAML so that numbers and booleans keep their type.

``seed`` drives everything random in a run: it is the default of ``split.seed`` (which rows
are held out) and of ``model.seed`` (given to models whose class takes a ``seed``). The
parsed config holds both, so every run logs them and ``reproduce`` rebuilds them exactly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from .paths import CONFIGS_DIR, DEFAULT_CONFIG

DEFAULT_SEED = 42


class ConfigError(ValueError):
    """A config file or override that cannot be used; the message says why and how to fix it."""


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


@dataclass(frozen=True)
class SplitSpec:
    """How the held-out evaluation rows are drawn; the same seed always draws the same rows.

    Attributes:
        test_size: Fraction of rows held out for evaluation (or a number of rows if >= 1).
        seed: Random seed of the split (default: the config's ``seed``).
        stratify: Keep the class proportions in both parts (classification only).
    """

    test_size: float = 0.2
    seed: int = DEFAULT_SEED
    stratify: bool = False

    @classmethod
    def parse(cls, raw: object, seed: int = DEFAULT_SEED) -> SplitSpec:
        """Read and check the ``split`` section; ``seed`` is the config's seed."""
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise ConfigError(f"'split' must be a mapping, got {raw!r}")
        _reject_unknown_keys("split", raw, {"test_size", "seed", "stratify"})
        spec = cls(**{"seed": seed, **raw})
        if isinstance(spec.seed, bool) or not isinstance(spec.seed, int):
            raise ConfigError(f"split.seed must be an integer, got {spec.seed!r}")
        if not isinstance(spec.stratify, bool):
            raise ConfigError(f"split.stratify must be true or false, got {spec.stratify!r}")
        size = spec.test_size
        valid_fraction = isinstance(size, float) and 0 < size < 1
        valid_count = isinstance(size, int) and not isinstance(size, bool) and size >= 1
        if not (valid_fraction or valid_count):
            raise ConfigError(
                f"split.test_size must be a fraction in (0, 1) or a row count, got {size!r}"
            )
        return spec


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
    """

    metric: str | None = None
    higher_is_better: bool | None = None
    margin: float = 0.0
    require_significant: bool = False
    confidence: float = 0.95
    resamples: int = 1000

    @classmethod
    def parse(cls, raw: object) -> PromotionSpec:
        """Read and check the ``promotion`` section."""
        spec = cls(**_section("promotion", raw, cls))
        _check_type("promotion.metric", spec.metric, str, optional=True)
        _check_type("promotion.higher_is_better", spec.higher_is_better, bool, optional=True)
        _check_type("promotion.require_significant", spec.require_significant, bool)
        _check_number("promotion.margin", spec.margin, low=0.0)
        _check_number("promotion.confidence", spec.confidence, low=0.5, high=1.0, open_high=True)
        _check_type("promotion.resamples", spec.resamples, int)
        if spec.resamples < 100:
            raise ConfigError(f"promotion.resamples must be at least 100, got {spec.resamples}")
        return spec


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

    alpha: float = 0.05
    min_effect: float = 0.1
    psi_threshold: float = 0.2
    max_metric_drop: float = 0.05

    @classmethod
    def parse(cls, raw: object) -> MonitorSpec:
        """Read and check the ``monitor`` section."""
        spec = cls(**_section("monitor", raw, cls))
        _check_number("monitor.alpha", spec.alpha, low=0.0, high=1.0, open_low=True)
        _check_number("monitor.min_effect", spec.min_effect, low=0.0, high=1.0)
        _check_number("monitor.psi_threshold", spec.psi_threshold, low=0.0)
        _check_number("monitor.max_metric_drop", spec.max_metric_drop, low=0.0)
        return spec


SWEEP_EXAMPLE = """\
sweep:
  trials: 20                 # finished trials the study aims at, over all workers
  metric: roc_auc            # default: promotion.metric, else the evaluator's key metric
  params:                    # model.* keys only: the held-out rows must stay the same
    model.params.C: {type: float, low: 0.001, high: 100.0, log: true}
    model.params.max_iter: {type: int, low: 100, high: 1000, step: 100}
    model.params.solver: {choices: [lbfgs, liblinear]}"""
SWEEP_PREFIX = "model."
SAMPLERS = ("tpe", "random")
PRUNERS = ("none", "median")
DIRECTIONS = ("maximize", "minimize")


@dataclass(frozen=True)
class SearchRange:
    """The values one parameter of a sweep may take: a numeric range or a list of choices.

    Attributes:
        type: ``int``, ``float`` or ``choice``.
        low: Smallest value of a range (included).
        high: Largest value of a range (included).
        log: Sample the range on a log scale (both bounds must then be positive).
        step: Spacing of the values of a range (None: any value; ``int`` ranges: 1).
        choices: The values of a ``choice`` parameter.
    """

    type: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] = ()

    @classmethod
    def parse(cls, name: str, raw: object) -> SearchRange:
        """Read one parameter's range, e.g. ``{type: float, low: 0.001, high: 1, log: true}``."""
        where = f"sweep.params.{name}"
        if not isinstance(raw, Mapping):
            example = "{type: float, low: 0.01, high: 1.0} or {choices: [a, b]}"
            raise ConfigError(f"{where} must be a mapping such as {example}, got {raw!r}")
        if "choices" in raw:
            _reject_unknown_keys(where, raw, {"choices", "type"})
            choices = raw["choices"]
            if not isinstance(choices, list) or not choices:
                raise ConfigError(f"{where}.choices must be a non-empty list, got {choices!r}")
            if any(not isinstance(c, str | int | float | bool) and c is not None for c in choices):
                raise ConfigError(f"{where}.choices may only hold numbers, text, booleans, null")
            return cls(type="choice", choices=tuple(choices))
        _reject_unknown_keys(where, raw, {"type", "low", "high", "log", "step"})
        kind = raw.get("type")
        if kind not in ("int", "float"):
            raise ConfigError(
                f"{where}.type must be int or float (or give choices: [...]), got {kind!r}"
            )
        spec = cls(
            type=kind,
            low=raw.get("low"),
            high=raw.get("high"),
            log=raw.get("log", False),
            step=raw.get("step"),
        )
        number = int if kind == "int" else (int, float)
        for key in ("low", "high"):
            value = getattr(spec, key)
            if isinstance(value, bool) or not isinstance(value, number):
                expected = "an integer" if kind == "int" else "a number"
                raise ConfigError(f"{where}.{key} must be {expected}, got {value!r}")
        _check_type(f"{where}.log", spec.log, bool)
        if spec.step is not None:
            if isinstance(spec.step, bool) or not isinstance(spec.step, number) or spec.step <= 0:
                raise ConfigError(f"{where}.step must be a positive {kind}, got {spec.step!r}")
            if spec.log:
                raise ConfigError(f"{where}: a log range cannot have a step; drop one of them")
        if not spec.low < spec.high:  # type: ignore[operator]
            raise ConfigError(f"{where}: low must be below high, got {spec.low} and {spec.high}")
        if spec.log and spec.low <= 0:  # type: ignore[operator]
            raise ConfigError(f"{where}: a log range needs low > 0, got {spec.low}")
        return spec

    def to_dict(self) -> dict[str, Any]:
        """Return the YAML form of the range."""
        if self.type == "choice":
            return {"choices": list(self.choices)}
        shape = {"type": self.type, "low": self.low, "high": self.high, "log": self.log}
        return shape if self.step is None else {**shape, "step": self.step}


@dataclass(frozen=True)
class SweepSpec:
    """What ``sweep`` searches: parameter ranges, the objective and the search's budget.

    Attributes:
        params: The range of each swept model option, by its dotted key (``model.params.C``
            for a scikit-learn estimator's ``C``, ``model.<option>`` for your own model).
        metric: The objective; None: ``promotion.metric``, else the evaluator's key metric.
        direction: ``maximize`` or ``minimize``; None: the evaluator knows the metric's.
        trials: Trials the study must have finished, over all its workers.
        sampler: ``tpe`` (Optuna's default, Bayesian) or ``random``.
        pruner: ``none`` or ``median``. A trial is one training reporting one value at its
            end, so no pruner can stop a trial early: ``median`` only marks as PRUNED the
            trials that ended worse than the median of the earlier ones.
        seed: Seed of the sampler; None: the config's ``seed``.
        study: Name of the Optuna study; None: the experiment's name.
    """

    params: dict[str, SearchRange]
    metric: str | None = None
    direction: str | None = None
    trials: int = 20
    sampler: str = "tpe"
    pruner: str = "none"
    seed: int | None = None
    study: str | None = None

    @classmethod
    def parse(cls, raw: object) -> SweepSpec | None:
        """Read and check the optional ``sweep`` section."""
        section = _section("sweep", raw, cls)
        if raw is None:
            return None
        params = section.pop("params", None)
        if not isinstance(params, Mapping) or not params:
            raise ConfigError(
                f"sweep.params must map model parameters to ranges, e.g.\n{SWEEP_EXAMPLE}"
            )
        for name in params:
            if not str(name).startswith(SWEEP_PREFIX) or str(name) == f"{SWEEP_PREFIX}type":
                raise ConfigError(
                    f"sweep.params.{name}: only the model's options ({SWEEP_PREFIX}*) can be "
                    f"swept, so that every trial has the same data and held-out rows; "
                    f"e.g. {SWEEP_PREFIX}params.C"
                )
        ranges = {str(name): SearchRange.parse(str(name), value) for name, value in params.items()}
        spec = cls(params=ranges, **section)
        _check_type("sweep.metric", spec.metric, str, optional=True)
        _check_choice("sweep.direction", spec.direction, DIRECTIONS, optional=True)
        _check_type("sweep.trials", spec.trials, int)
        if spec.trials < 1:
            raise ConfigError(f"sweep.trials must be at least 1, got {spec.trials}")
        _check_choice("sweep.sampler", spec.sampler, SAMPLERS)
        _check_choice("sweep.pruner", spec.pruner, PRUNERS)
        _check_type("sweep.seed", spec.seed, int, optional=True)
        _check_type("sweep.study", spec.study, str, optional=True)
        return spec

    def to_dict(self) -> dict[str, Any]:
        """Return the YAML form of the section."""
        ranges = {name: space.to_dict() for name, space in self.params.items()}
        return {**asdict(self), "params": ranges}


def _check_choice(
    name: str, value: object, allowed: tuple[str, ...], *, optional: bool = False
) -> None:
    if (optional and value is None) or value in allowed:
        return
    raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")


def _section(name: str, raw: object, spec: type) -> dict[str, Any]:
    """Return an optional mapping section, refusing keys the spec does not have."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"'{name}' must be a mapping, got {raw!r}")
    _reject_unknown_keys(name, raw, {f.name for f in fields(spec)})
    return dict(raw)


def _flag(name: str, value: object) -> bool:
    _check_type(name, value, bool)
    return bool(value)


def _check_type(name: str, value: object, kind: type, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    if isinstance(value, bool) is not (kind is bool) or not isinstance(value, kind):
        raise ConfigError(f"{name} must be of type {kind.__name__}, got {value!r}")


def _check_number(
    name: str,
    value: object,
    *,
    low: float,
    high: float | None = None,
    open_low: bool = False,
    open_high: bool = False,
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    too_low = value <= low if open_low else value < low
    too_high = high is not None and (value >= high if open_high else value > high)
    if too_low or too_high:
        interval = f"{'(' if open_low else '['}{low}, {high if high is not None else 'inf'}"
        interval += ")" if open_high or high is None else "]"
        raise ConfigError(f"{name} must be in {interval}, got {value!r}")


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
        trust_pickle: Allow loading pickled models (your own ``Model`` classes): a pickle
            runs the code it holds when loaded, so only for stores whose writers you trust.
        sweep: What ``sweep`` searches, if the config declares a search space.
        source: The YAML file the config was read from, if any.
    """

    experiment: str
    dataset: BlockSpec
    model: BlockSpec
    evaluator: BlockSpec
    split: SplitSpec = field(default_factory=SplitSpec)
    seed: int = DEFAULT_SEED
    registered_model: str | None = None
    promotion: PromotionSpec = field(default_factory=PromotionSpec)
    monitor: MonitorSpec = field(default_factory=MonitorSpec)
    trust_pickle: bool = False
    sweep: SweepSpec | None = None
    source: Path | None = field(default=None, compare=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], source: Path | None = None) -> ExperimentConfig:
        """Build a config from its YAML form, with a clear error for anything unusable."""
        where = f" in {source}" if source else ""
        _reject_unknown_keys("the config", raw, set(_TOP_LEVEL_KEYS))
        missing = [
            key for key in ("experiment", "dataset", "model", "evaluator") if key not in raw
        ]
        if missing:
            raise ConfigError(f"Missing key(s){where}: {', '.join(missing)}")
        experiment = raw["experiment"]
        if not isinstance(experiment, str) or not experiment.strip():
            raise ConfigError(f"'experiment' must be a non-empty name{where}, got {experiment!r}")
        registered_model = raw.get("registered_model")
        if registered_model is not None and not isinstance(registered_model, str):
            raise ConfigError(
                f"'registered_model' must be a name{where}, got {registered_model!r}"
            )
        seed = raw.get("seed", DEFAULT_SEED)
        _check_type("seed", seed, int)
        model = BlockSpec.parse("model", raw["model"])
        model.options.setdefault("seed", seed)
        return cls(
            experiment=experiment,
            dataset=BlockSpec.parse("dataset", raw["dataset"]),
            model=model,
            evaluator=BlockSpec.parse("evaluator", raw["evaluator"]),
            split=SplitSpec.parse(raw.get("split"), seed),
            seed=seed,
            registered_model=registered_model or None,
            promotion=PromotionSpec.parse(raw.get("promotion")),
            monitor=MonitorSpec.parse(raw.get("monitor")),
            trust_pickle=_flag("trust_pickle", raw.get("trust_pickle", False)),
            sweep=SweepSpec.parse(raw.get("sweep")),
            source=source,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the YAML form of the config, defaults included."""
        return {
            "experiment": self.experiment,
            "registered_model": self.registered_model,
            "dataset": self.dataset.to_dict(),
            "model": self.model.to_dict(),
            "evaluator": self.evaluator.to_dict(),
            "seed": self.seed,
            "split": asdict(self.split),
            "promotion": asdict(self.promotion),
            "monitor": asdict(self.monitor),
            "trust_pickle": self.trust_pickle,
            **({"sweep": self.sweep.to_dict()} if self.sweep else {}),
        }

    def to_params(self) -> dict[str, str]:
        """Return the config as flat ``section.key`` strings, the form MLflow params take."""
        return flatten(self.to_dict())


_TOP_LEVEL_KEYS = (
    "experiment",
    "registered_model",
    "dataset",
    "model",
    "evaluator",
    "seed",
    "split",
    "promotion",
    "monitor",
    "trust_pickle",
    "sweep",
)


def _reject_unknown_keys(section: str, raw: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(
            f"Unknown key(s) in {section}: {', '.join(map(str, unknown))}. "
            f"Expected: {', '.join(sorted(allowed))}"
        )


def with_values(config: ExperimentConfig, values: Mapping[str, Any]) -> ExperimentConfig:
    """Return the config with dotted keys set to values, e.g. a sweep trial's parameters."""
    raw = config.to_dict()
    for key, value in values.items():
        *sections, last = key.split(".")
        node = raw
        for section in sections:
            node = node.setdefault(section, {})
        node[last] = value
    return ExperimentConfig.from_dict(raw, source=config.source)


def resolve_config_path(name: str | Path | None = None) -> Path:
    """Find a config file by path, or by name in ``configs/`` (``regression`` works).

    Args:
        name: A path (relative to the current folder or to ``configs/``), a file name with or
            without ``.yaml``, or None for the default config.

    Raises:
        ConfigError: If no such file exists; the message lists the available configs.
    """
    if name is None:
        return DEFAULT_CONFIG
    path = Path(name)
    candidates = [path, CONFIGS_DIR / path]
    if not path.suffix:
        candidates += [CONFIGS_DIR / f"{path}.yaml", CONFIGS_DIR / f"{path}.yml"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    available = ", ".join(sorted(p.name for p in CONFIGS_DIR.glob("*.y*ml"))) or "none"
    raise ConfigError(f"No config file {str(name)!r}. Configs in {CONFIGS_DIR}: {available}")


def load_config(name: str | Path | None = None, overrides: Iterable[str] = ()) -> ExperimentConfig:
    """Read a config file and apply ``key=value`` overrides to it.

    Args:
        name: The config file (see :func:`resolve_config_path`); None for the default one.
        overrides: Strings such as ``model.params.C=0.5`` or ``split.seed=7``.

    Returns:
        The checked experiment config.
    """
    path = resolve_config_path(name)
    return parse_config(path.read_text(encoding="utf-8"), overrides, source=path)


def config_of_experiment(experiment: str | None = None) -> ExperimentConfig:
    """Return the config in ``configs/`` that tracks ``experiment``, or the default config."""
    if experiment is not None:
        for path in sorted(CONFIGS_DIR.glob("*.y*ml")):
            config = load_config(path)
            if config.experiment == experiment:
                return config
    return load_config()


def parse_config(
    text: str, overrides: Iterable[str] = (), source: Path | None = None
) -> ExperimentConfig:
    """Build a config from YAML text, e.g. the ``config.yaml`` a run logged, and overrides."""
    raw = parse_yaml(text, source or "A config") or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source or 'A config'} must hold a YAML mapping, not {raw!r}")
    for override in overrides:
        apply_override(raw, override)
    return ExperimentConfig.from_dict(raw, source=source)


def apply_override(raw: dict[str, Any], override: str) -> None:
    """Set one dotted key of a raw config in place, e.g. ``model.params.C=0.5``.

    Missing sections are created, so an override can add a new parameter.
    """
    key, sep, text = override.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"Override {override!r} is not key=value, e.g. model.params.C=0.5")
    parts = key.strip().split(".")
    node = raw
    for depth, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if isinstance(child, str) and depth == 0 and part in ("dataset", "model", "evaluator"):
            child = node[part] = {"type": child}  # expand the `evaluator: name` shorthand
        if not isinstance(child, dict):
            prefix = ".".join(parts[: depth + 1])
            raise ConfigError(f"Cannot set {key}: {prefix} is {child!r}, not a section")
        node = child
    node[parts[-1]] = parse_yaml(text, f"The value of {key}")


class _YamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader, also reading ``1e-3`` as a float as YAML 1.2 does."""


_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+$"),
    list("-+0123456789."),
)


def dump_yaml(data: Mapping[str, Any]) -> str:
    """Write a config's YAML form, keys in the order given."""
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True)


def parse_yaml(text: str, source: object = "the text") -> object:
    """Parse YAML safely; numbers such as ``0.5`` and ``1e-3`` become floats.

    Raises:
        ConfigError: The text is not valid YAML; the message says where.
    """
    try:
        return yaml.load(text, Loader=_YamlLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f", line {where.line + 1} column {where.column + 1}" if where else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"{source} is not valid YAML{line}: {problem}") from None


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
