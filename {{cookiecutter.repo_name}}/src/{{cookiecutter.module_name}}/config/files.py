"""Config files and overrides: YAML in ``configs/``, ``KEY=VALUE`` on the command line.

An override such as ``model.params.C=0.5`` sets one dotted key, parsed as YAML so that
numbers and booleans keep their type; :func:`set_dotted` is the one place that sets a dotted
key, for overrides and for a sweep trial's values alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from ..paths import CONFIGS_DIR, DEFAULT_CONFIG
from .checks import ConfigError
from .schema import BLOCKS, ExperimentConfig


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
    raw = _mapping(text, source or "A config")
    for override in overrides:
        apply_override(raw, override)
    return ExperimentConfig.from_dict(raw, source=source)


def parse_logged_config(text: str) -> ExperimentConfig:
    """Build the config a run logged (its ``config.yaml``), as that run used it.

    A logged config states every value, defaults included; one without ``split.method`` was
    logged before the hash split existed, when every split was the seeded shuffle.
    """
    raw = _mapping(text, "A logged config")
    if isinstance(raw.setdefault("split", {}), dict):
        raw["split"].setdefault("method", "random")
    return ExperimentConfig.from_dict(raw)


def _mapping(text: str, source: object) -> dict[str, Any]:
    raw = parse_yaml(text, source) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source} must hold a YAML mapping, not {raw!r}")
    return raw


def apply_override(raw: dict[str, Any], override: str) -> None:
    """Set one dotted key of a raw config in place, e.g. ``model.params.C=0.5``."""
    key, sep, text = override.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"Override {override!r} is not key=value, e.g. model.params.C=0.5")
    set_dotted(raw, key.strip(), parse_yaml(text, f"The value of {key.strip()}"))


def with_values(config: ExperimentConfig, values: Mapping[str, Any]) -> ExperimentConfig:
    """Return the config with dotted keys set to values, e.g. a sweep trial's parameters."""
    raw = config.to_dict()
    for key, value in values.items():
        set_dotted(raw, key, value)
    return ExperimentConfig.from_dict(raw, source=config.source)


def set_dotted(raw: dict[str, Any], key: str, value: object) -> None:
    """Set ``a.b.c`` in nested mappings; missing sections are created.

    A block given by its type name alone (``evaluator: classification``) is expanded to a
    mapping (``{type: classification}``) so that one of its options can be set.

    Raises:
        ConfigError: A part of the key holds a value, not a section.
    """
    parts = key.split(".")
    node = raw
    for depth, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if isinstance(child, str) and depth == 0 and part in BLOCKS:
            child = node[part] = {"type": child}
        if not isinstance(child, dict):
            prefix = ".".join(parts[: depth + 1])
            raise ConfigError(f"Cannot set {key}: {prefix} is {child!r}, not a section")
        node = child
    node[parts[-1]] = value


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
