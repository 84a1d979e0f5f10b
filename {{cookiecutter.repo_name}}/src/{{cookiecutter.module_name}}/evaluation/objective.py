"""The metric that ranks models, and its direction: decided here, for every command.

``promote`` decides on it, ``compare`` ranks by it, ``monitor`` watches it and ``train``
names it in a version's description; a sweep optimises it unless its section names its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import ConfigError

if TYPE_CHECKING:
    from ..config import ExperimentConfig
    from .base import Evaluator


@dataclass(frozen=True)
class Objective:
    """A metric and its direction.

    Attributes:
        metric: The metric's name, as the evaluator computes it (``roc_auc``, ``rmse``...).
        higher_is_better: Whether a larger value means a better model.
    """

    metric: str
    higher_is_better: bool

    @property
    def direction(self) -> str:
        """``maximize`` or ``minimize``, as Optuna says it."""
        return "maximize" if self.higher_is_better else "minimize"

    def gain(self, value: float, reference: float) -> float:
        """How much better ``value`` is than ``reference``: positive when it is better."""
        return value - reference if self.higher_is_better else reference - value


def deciding_metric(
    config: ExperimentConfig, evaluator: Evaluator, *, sweep: bool = False
) -> Objective:
    """Return the metric that ranks models, and its direction.

    In order: a sweep's own ``sweep.metric`` (and ``sweep.direction``) when ``sweep`` is set
    and the section names one; else ``promotion.metric`` (and ``promotion.higher_is_better``);
    else the evaluator's key metric. A direction not given is the evaluator's for that metric.

    Raises:
        ConfigError: Nothing names a metric (an evaluator without a key metric).
    """
    spec = config.sweep if sweep else None
    if spec is not None and spec.metric is not None:
        higher = evaluator.higher_is_better(spec.metric)
        if spec.direction is not None:
            higher = spec.direction == "maximize"
        return Objective(spec.metric, higher)
    metric = config.promotion.metric or evaluator.key_metric
    if metric is None:
        raise ConfigError(
            f"{type(evaluator).__name__} names no key metric: set promotion.metric in the config"
            + (" (or sweep.metric)" if sweep else "")
        )
    higher = config.promotion.higher_is_better
    if higher is None:
        higher = evaluator.higher_is_better(metric)
    if spec is not None and spec.direction is not None:
        higher = spec.direction == "maximize"
    return Objective(metric, higher)
