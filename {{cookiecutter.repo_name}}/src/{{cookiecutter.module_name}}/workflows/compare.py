"""Compare: a leaderboard of an experiment's training runs, one table per set of held-out rows.

A metric ranks models only on the rows they were scored on: runs whose held-out rows differ
(another ``split.seed``, other data) land in different groups, never in one ranking. Each
group is ranked by the config's deciding metric (``promotion.metric``, by default the
evaluator's key metric) and shows what differs between its runs, their metrics and the
registered version and aliases of their models.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import blocks
from ..evaluation import deciding_metric
from ..tracking import recording, registry, runs, store
from . import RefusedError

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd
    from matplotlib.figure import Figure

    from ..config import ExperimentConfig
    from ..evaluation import Objective
    from ..tracking.runs import Run

logger = logging.getLogger(__name__)

# Params that say nothing about how runs differ (sizes, digests), or that repeat the config
# in the model's own terms (hyperparameters.*, defaults included).
_NOT_SHOWN = ("split.train_rows", "split.test_rows", "split.train_digest", "split.test_digest")
_NOT_SHOWN_PREFIXES = ("dataset.version", "hyperparameters.")


@dataclass(frozen=True)
class Entry:
    """One training run on the leaderboard.

    Attributes:
        run_id: The run.
        name: The run's name.
        params: The params that differ between the runs of its group.
        metrics: Every metric the run logged.
        version: The registered version of its model, if any.
        aliases: That version's aliases (``champion``, ``candidate``...).
    """

    run_id: str
    name: str
    params: dict[str, str]
    metrics: dict[str, float]
    version: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    """Runs scored on the same held-out rows, best first.

    Attributes:
        rows_digest: The digest of those rows (the runs' ``evaluation`` input).
        metric: The ranking metric.
        higher_is_better: Its direction.
        entries: The runs, best first; runs without the metric come last.
    """

    rows_digest: str
    metric: str
    higher_is_better: bool
    entries: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class Leaderboard:
    """An experiment's finished training runs, grouped by held-out rows.

    Attributes:
        experiment: The experiment's name.
        groups: One group per set of held-out rows, the biggest first.
    """

    experiment: str
    groups: list[Group]

    def to_frame(self) -> pd.DataFrame:
        """Return one row per run: its group, rank, name, version, params and metrics."""
        import pandas as pd

        rows = [
            {
                "rows_digest": group.rows_digest,
                "rank": rank,
                "run": entry.name,
                "run_id": entry.run_id,
                "version": entry.version,
                "aliases": ", ".join(entry.aliases),
                **entry.params,
                **entry.metrics,
            }
            for group in self.groups
            for rank, entry in enumerate(group.entries, start=1)
        ]
        return pd.DataFrame(rows)

    def figure(self) -> Figure:
        """Bars of each run's ranking metric, one panel per group of held-out rows."""
        from ..evaluation.figures import ranked_bars

        return ranked_bars(
            {
                f"rows {group.rows_digest[:8]}: {group.metric}": [
                    (entry.name, entry.metrics.get(group.metric)) for entry in group.entries
                ]
                for group in self.groups
            }
        )


def leaderboard(config: ExperimentConfig, experiment: str | None = None) -> Leaderboard:
    """Rank the finished training runs of an experiment (default: the config's).

    The config names the ranking metric and the registered model whose versions are shown.

    Raises:
        RefusedError: If the experiment does not exist.
    """
    store.configure()
    name = experiment or config.experiment
    experiment_id = store.experiment_id(name)
    if experiment_id is None:
        raise RefusedError(f"No experiment {name!r} in {store.tracking_uri()}")
    objective = deciding_metric(config, blocks.build_evaluator(config.evaluator))
    versions = registry.versions_by_run(config.registered_model)

    by_rows: dict[str, list[Run]] = {}
    for run in runs.finished_training_runs(experiment_id):
        digest = runs.input_digest(run, recording.EVALUATION) or "unknown"
        by_rows.setdefault(digest, []).append(run)
    groups = [
        _ranked(digest, trained, objective, versions)
        for digest, trained in sorted(by_rows.items(), key=lambda item: -len(item[1]))
    ]
    logger.info(
        "%d runs of %r on %d set(s) of held-out rows",
        sum(map(len, by_rows.values())),
        name,
        len(groups),
    )
    return Leaderboard(name, groups)


def _ranked(
    digest: str,
    trained: list[Run],
    objective: Objective,
    versions: dict[str, tuple[str, tuple[str, ...]]],
) -> Group:
    varying = _varying_params(trained)
    entries = [
        Entry(
            run_id=run.info.run_id,
            name=run.info.run_name or run.info.run_id,
            params={key: run.data.params.get(key, "") for key in varying},
            metrics=dict(run.data.metrics),
            version=versions.get(run.info.run_id, (None, ()))[0],
            aliases=versions.get(run.info.run_id, (None, ()))[1],
        )
        for run in trained
    ]
    sign = -1.0 if objective.higher_is_better else 1.0

    def key(entry: Entry) -> tuple[bool, float]:
        value = entry.metrics.get(objective.metric)
        return (value is None, sign * value if value is not None else 0.0)

    ranked = sorted(entries, key=key)
    return Group(digest, objective.metric, objective.higher_is_better, ranked)


def _varying_params(trained: list[Run]) -> list[str]:
    """The params whose values differ between trained (all of them for a single run: none)."""
    names = sorted(
        key
        for key in {key for run in trained for key in run.data.params} - set(_NOT_SHOWN)
        if not key.startswith(_NOT_SHOWN_PREFIXES)
    )
    return [key for key in names if len({run.data.params.get(key) for run in trained}) > 1]


def save_figure(board: Leaderboard, folder: Path) -> Path:
    """Save the leaderboard's figure as ``compare-<experiment>.png`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"compare-{re.sub(r'[^A-Za-z0-9_.-]+', '-', board.experiment)}.png"
    board.figure().savefig(path, dpi=120)
    return path
