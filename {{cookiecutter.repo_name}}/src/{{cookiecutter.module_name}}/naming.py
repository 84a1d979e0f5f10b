"""Readable names for runs and registered versions, made from the config that produced them.

MLflow would name runs at random (``redolent-cow-839``). A name made of the model, the values
changed on the command line and the split seed, such as ``logistic_regression C=0.1 seed=42``,
tells runs apart in the UI's runs table at a glance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import BlockSpec, ExperimentConfig

# Overrides that the name already shows in another form: the model's name and the seed.
_SHOWN_ELSEWHERE = ("model", "model.type", "model.estimator", "split.seed")
# Prefixes dropped from an override's key: the name starts with the model anyway.
_MODEL_PREFIXES = ("model.params.", "model.")


def model_name(model: BlockSpec) -> str:
    """Return a model's short name: its estimator's or its class's name, without the path.

    Example:
        >>> model_name(BlockSpec("sklearn", {"estimator": "sklearn.svm.SVC"}))
        'SVC'
    """
    estimator = model.options.get("estimator")
    path = estimator if isinstance(estimator, str) else model.type
    return path.replace(":", ".").rpartition(".")[2]


def run_name(config: ExperimentConfig, overrides: Iterable[str] = ()) -> str:
    """Name a training run: the model, the overrides (``model.params.`` dropped), the seed.

    Args:
        config: The config the run trains with (overrides applied).
        overrides: The ``KEY=VALUE`` overrides given on the command line, as typed.

    Example:
        >>> run_name(load_config(None, ["model.params.C=0.1"]), ["model.params.C=0.1"])
        'logistic_regression C=0.1 seed=42'
    """
    return " ".join([model_name(config.model), *_changes(overrides), _seed(config)])


def evaluation_name(config: ExperimentConfig, model_uri: str) -> str:
    """Name an evaluation run: what is evaluated, on the rows of which split seed.

    Example: ``evaluate breast-cancer-classifier@candidate seed=42``.
    """
    return f"evaluate {model_label(model_uri)} {_seed(config)}"


def model_label(model_uri: str) -> str:
    """Shorten a model URI: ``name@alias``, ``name v3``, ``run 1a2b3c4d`` or the URI itself."""
    if model_uri.startswith("models:/"):
        path = model_uri.removeprefix("models:/")
        name, _, number = path.rpartition("/")
        return f"{name} v{number}" if name and number.isdigit() else path
    if model_uri.startswith("runs:/"):
        return f"run {model_uri.removeprefix('runs:/')[:8]}"
    return model_uri


def version_description(
    name: str, run_id: str, metric: str, metrics: Mapping[str, float], rows: int
) -> str:
    """Describe a registered version: its run's name and id, and its key metric.

    Example: ``logistic_regression C=0.1 seed=42, trained in run 1a2b...; roc_auc 0.9971 on
    143 held-out rows``.
    """
    description = f"{name}, trained in run {run_id}"
    if metric in metrics:
        description += f"; {metric} {metrics[metric]:.4g} on {rows} held-out rows"
    return description


def _changes(overrides: Iterable[str]) -> list[str]:
    changes = []
    for override in overrides:
        key, _, value = override.partition("=")
        key = key.strip()
        if key in _SHOWN_ELSEWHERE:
            continue
        short = key
        for prefix in _MODEL_PREFIXES:
            short = short.removeprefix(prefix)
        # "seed=" is the split's seed; another seed keeps its full key.
        changes.append(f"{short if short != 'seed' else key}={value.strip()}")
    return changes


def _seed(config: ExperimentConfig) -> str:
    return f"seed={config.split.seed}"
