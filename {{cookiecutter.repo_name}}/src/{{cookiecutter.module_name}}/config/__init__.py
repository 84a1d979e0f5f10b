"""Experiment configuration: a YAML file in ``configs/`` plus ``key=value`` overrides.

A config names the building blocks of one experiment and how its data is split::

    experiment: breast-cancer            # MLflow experiment that collects the runs
    registered_model: breast-cancer-classifier
    dataset: {type: sklearn, name: breast_cancer}
    model: {type: sklearn, estimator: sklearn.linear_model.LogisticRegression, params: {C: 1.0}}
    evaluator: classification            # shorthand for {type: classification}
    seed: 42                             # the one seed: split, model, anything random
    split: {method: hash, test_size: 0.2}  # hash: rows keep their side as data grows
    promotion: {metric: roc_auc, margin: 0.002, minimum: {roc_auc: 0.8}}  # `promote`
    monitor: {alpha: 0.05, max_metric_drop: 0.05}  # optional: when `monitor` says retrain
    sweep: {params: {model.params.C: {type: float, low: 0.01, high: 10, log: true}}}

Each block's ``type`` is a short built-in name or an import path (see :mod:`..blocks`); its
other keys are the keyword arguments of that class. Overrides such as ``model.params.C=0.5``
replace one value, parsed as YAML so that numbers and booleans keep their type.

``seed`` drives everything random in a run: it is the default of ``split.seed`` (which rows
are held out) and of ``model.seed`` (given to models whose class takes a ``seed``). The
parsed config holds both, so every run logs them and ``reproduce`` rebuilds them exactly.

The package: :mod:`.schema` (the sections and what each key accepts), :mod:`.search_space`
(the ``sweep`` section), :mod:`.checks` (how a section is checked) and :mod:`.files` (files,
YAML and overrides).
"""

from .checks import ConfigError
from .files import (
    apply_override,
    config_of_experiment,
    dump_yaml,
    load_config,
    parse_config,
    parse_logged_config,
    parse_yaml,
    resolve_config_path,
    set_dotted,
    with_values,
)
from .schema import (
    DEFAULT_SEED,
    SPLIT_METHODS,
    BlockSpec,
    ExperimentConfig,
    ImportanceSpec,
    MonitorSpec,
    PromotionSpec,
    SplitSpec,
    flatten,
)
from .search_space import SWEEP_EXAMPLE, SearchRange, SweepSpec

__all__ = [
    "DEFAULT_SEED",
    "SPLIT_METHODS",
    "SWEEP_EXAMPLE",
    "BlockSpec",
    "ConfigError",
    "ExperimentConfig",
    "ImportanceSpec",
    "MonitorSpec",
    "PromotionSpec",
    "SearchRange",
    "SplitSpec",
    "SweepSpec",
    "apply_override",
    "config_of_experiment",
    "dump_yaml",
    "flatten",
    "load_config",
    "parse_config",
    "parse_logged_config",
    "parse_yaml",
    "resolve_config_path",
    "set_dotted",
    "with_values",
]
