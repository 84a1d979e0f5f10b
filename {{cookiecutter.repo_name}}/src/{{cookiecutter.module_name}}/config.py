"""Experiment configuration: a YAML file in ``configs/`` plus ``key=value`` overrides.

A config names the building blocks of one experiment and how its data is split::

    experiment: breast-cancer            # MLflow experiment that collects the runs
    registered_model: breast-cancer-classifier
    dataset: {type: sklearn, name: breast_cancer}
    model: {type: sklearn, estimator: sklearn.linear_model.LogisticRegression, params: {C: 1.0}}
    evaluator: classification            # shorthand for {type: classification}
    split: {test_size: 0.2, seed: 42, stratify: true}

Each block's ``type`` is a short built-in name or an import path (see :mod:`.blocks`); its
other keys are the keyword arguments of that class. Overrides such as ``model.params.C=0.5``
replace one value, parsed as YAML so that numbers and booleans keep their type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .paths import CONFIGS_DIR, DEFAULT_CONFIG


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
        seed: Random seed of the split.
        stratify: Keep the class proportions in both parts (classification only).
    """

    test_size: float = 0.2
    seed: int = 42
    stratify: bool = False

    @classmethod
    def parse(cls, raw: object) -> SplitSpec:
        """Read and check the ``split`` section."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise ConfigError(f"'split' must be a mapping, got {raw!r}")
        _reject_unknown_keys("split", raw, {"test_size", "seed", "stratify"})
        spec = cls(**raw)
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
class ExperimentConfig:
    """One experiment: its building blocks, its split and where it is tracked.

    Attributes:
        experiment: Name of the MLflow experiment that collects the runs.
        dataset: The dataset block.
        model: The model block.
        evaluator: The evaluator block.
        split: How the held-out evaluation rows are drawn.
        registered_model: Name under which trained models are registered (None: not registered).
        source: The YAML file the config was read from, if any.
    """

    experiment: str
    dataset: BlockSpec
    model: BlockSpec
    evaluator: BlockSpec
    split: SplitSpec = field(default_factory=SplitSpec)
    registered_model: str | None = None
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
        return cls(
            experiment=experiment,
            dataset=BlockSpec.parse("dataset", raw["dataset"]),
            model=BlockSpec.parse("model", raw["model"]),
            evaluator=BlockSpec.parse("evaluator", raw["evaluator"]),
            split=SplitSpec.parse(raw.get("split")),
            registered_model=registered_model or None,
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
            "split": {
                "test_size": self.split.test_size,
                "seed": self.split.seed,
                "stratify": self.split.stratify,
            },
        }

    def to_params(self) -> dict[str, str]:
        """Return the config as flat ``section.key`` strings, the form MLflow params take."""
        return flatten(self.to_dict())


_TOP_LEVEL_KEYS = ("experiment", "registered_model", "dataset", "model", "evaluator", "split")


def _reject_unknown_keys(section: str, raw: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(
            f"Unknown key(s) in {section}: {', '.join(map(str, unknown))}. "
            f"Expected: {', '.join(sorted(allowed))}"
        )


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


def parse_config(
    text: str, overrides: Iterable[str] = (), source: Path | None = None
) -> ExperimentConfig:
    """Build a config from YAML text, e.g. the ``config.yaml`` a run logged, and overrides."""
    raw = parse_yaml(text) or {}
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
    node[parts[-1]] = parse_yaml(text)


class _YamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader, also reading ``1e-3`` as a float as YAML 1.2 does."""


_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+$"),
    list("-+0123456789."),
)


def parse_yaml(text: str) -> object:
    """Parse YAML safely; numbers such as ``0.5`` and ``1e-3`` become floats."""
    return yaml.load(text, Loader=_YamlLoader)  # a SafeLoader subclass: no arbitrary objects


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
