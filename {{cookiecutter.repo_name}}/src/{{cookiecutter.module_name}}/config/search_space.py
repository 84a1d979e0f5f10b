"""The ``sweep`` section: which model parameters a sweep searches, and how.

Each swept parameter is a numeric range (``{type: float, low: 0.01, high: 10, log: true}``)
or a list of choices (``{choices: [lbfgs, liblinear]}``), the kinds of values an Optuna trial
suggests. Only model parameters (``model.*``) can be swept: every trial of a study must be
scored on the same data and the same held-out rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .checks import (
    RULE,
    ConfigError,
    Rule,
    check,
    choice,
    flag,
    integer,
    parse_section,
    reject_unknown_keys,
    text,
)

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
_RANGE_EXAMPLE = "{type: float, low: 0.01, high: 1.0} or {choices: [a, b]}"
# The bounds and the step of an int or a float range.
_BOUNDS = {
    kind: (
        Rule(types, f"{'an integer' if kind == 'int' else 'a number'}"),
        Rule(types, f"a positive {kind}", test=lambda value: value > 0),
    )
    for kind, types in (("int", (int,)), ("float", (int, float)))
}


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

    type: str = field(
        metadata={
            RULE: Rule(
                (str,), "int or float (or give choices: [...])", test=("int", "float").__contains__
            )
        }
    )
    low: float | None = None
    high: float | None = None
    log: bool = field(default=False, metadata=flag())
    step: float | None = None
    choices: tuple[Any, ...] = ()

    @classmethod
    def parse(cls, name: str, raw: object) -> SearchRange:
        """Read one parameter's range, e.g. ``{type: float, low: 0.001, high: 1, log: true}``."""
        where = f"sweep.params.{name}"
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{where} must be a mapping such as {_RANGE_EXAMPLE}, got {raw!r}")
        if "choices" in raw:
            return cls._choices(where, raw)
        reject_unknown_keys(where, raw, ["type", "low", "high", "log", "step"])
        spec = parse_section(cls, where, raw)
        bound, step = _BOUNDS[spec.type]
        check(f"{where}.low", spec.low, bound)
        check(f"{where}.high", spec.high, bound)
        if spec.step is not None:
            check(f"{where}.step", spec.step, step)
            if spec.log:
                raise ConfigError(f"{where}: a log range cannot have a step; drop one of them")
        if not spec.low < spec.high:  # type: ignore[operator]
            raise ConfigError(f"{where}: low must be below high, got {spec.low} and {spec.high}")
        if spec.log and spec.low <= 0:  # type: ignore[operator]
            raise ConfigError(f"{where}: a log range needs low > 0, got {spec.low}")
        return spec

    @classmethod
    def _choices(cls, where: str, raw: Mapping[str, Any]) -> SearchRange:
        reject_unknown_keys(where, raw, ["choices", "type"])
        choices = raw["choices"]
        if not isinstance(choices, list) or not choices:
            raise ConfigError(f"{where}.choices must be a non-empty list, got {choices!r}")
        if any(not isinstance(c, str | int | float | bool) and c is not None for c in choices):
            raise ConfigError(f"{where}.choices may only hold numbers, text, booleans, null")
        return cls(type="choice", choices=tuple(choices))

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
    metric: str | None = field(default=None, metadata=text(optional=True))
    direction: str | None = field(default=None, metadata=choice(*DIRECTIONS, optional=True))
    trials: int = field(default=20, metadata=integer(low=1))
    sampler: str = field(default="tpe", metadata=choice(*SAMPLERS))
    pruner: str = field(default="none", metadata=choice(*PRUNERS))
    seed: int | None = field(default=None, metadata=integer(optional=True))
    study: str | None = field(default=None, metadata=text(optional=True))

    @classmethod
    def parse(cls, raw: object) -> SweepSpec | None:
        """Read and check the optional ``sweep`` section."""
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            raise ConfigError(f"'sweep' must be a mapping, got {raw!r}")
        params = raw.get("params")
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
        return parse_section(cls, "sweep", {**raw, "params": ranges})

    def to_dict(self) -> dict[str, Any]:
        """Return the YAML form of the section."""
        ranges = {name: space.to_dict() for name, space in self.params.items()}
        return {**asdict(self), "params": ranges}
