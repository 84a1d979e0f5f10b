"""The experiment commands: train, sweep, evaluate, compare, reproduce.

Each command's arguments and what it does are side by side; the workflow a command calls is
imported when it runs, so that ``--help`` imports no heavy library.
"""

from __future__ import annotations

import argparse

from ..tracking.registry import CANDIDATE_ALIAS
from .common import (
    AddCommand,
    ExitStatus,
    add_config_items,
    add_run_labels,
    add_trust_pickle,
    config_and_overrides,
    config_of,
    how_to_open,
    report,
)


def add_commands(add: AddCommand) -> None:
    """Add the experiment commands to the command line."""
    for define in (
        _define_train,
        _define_sweep,
        _define_evaluate,
        _define_compare,
        _define_reproduce,
    ):
        define(add)


def _define_train(add: AddCommand) -> None:
    parser = add(
        "train",
        "train and evaluate a model from a config, tracked in MLflow",
        "Train a model, evaluate it on held-out rows and log the run to MLflow; the model "
        "is signed and registered with the alias 'candidate'.",
    )
    add_config_items(parser)
    add_run_labels(parser, "the model, the overrides and the split seed, e.g. 'SVC C=0.5 seed=42'")
    parser.set_defaults(handler=train)


def _define_sweep(add: AddCommand) -> None:
    parser = add(
        "sweep",
        "search model parameters with Optuna, each trial a tracked training",
        "Run an Optuna study over the config's sweep section; each trial is a training, "
        "nested under the study's parent run. Started in several shells or machines with "
        "the same OPTUNA_STORAGE, the workers share the study and split its trials; the "
        "same command resumes an interrupted study. See docs/sweeps.md.",
    )
    add_config_items(parser)
    parser.add_argument(
        "--trials", type=int, help="trials the study finishes, over all workers (sweep.trials)"
    )
    parser.add_argument("--study", help="the study to create or join (default: the experiment)")
    parser.add_argument(
        "--register-best",
        action="store_true",
        help="when the study is done, register the best trial's model as the 'candidate'",
    )
    parser.set_defaults(handler=sweep)


def _define_evaluate(add: AddCommand) -> None:
    parser = add(
        "evaluate",
        "evaluate a logged or registered model on a config's held-out rows",
        "Evaluate a model from the store on the held-out rows of a config, as a new run in "
        "the config's experiment.",
    )
    add_config_items(parser)
    parser.add_argument(
        "--model-uri",
        help="the model, e.g. runs:/<run id>/model or models:/<name>/<version> "
        "(default: models:/<registered_model>@candidate)",
    )
    add_run_labels(parser, "'evaluate <model> seed=<split seed>'")
    add_trust_pickle(parser)
    parser.set_defaults(handler=evaluate)


def _define_compare(add: AddCommand) -> None:
    parser = add(
        "compare",
        "leaderboard of an experiment's training runs, per set of held-out rows",
        "Rank the finished training runs of an experiment by its config's deciding metric "
        "(promotion.metric, or the evaluator's key metric). Runs scored on different "
        "held-out rows are in different tables, never ranked together.",
    )
    parser.add_argument(
        "experiment",
        nargs="?",
        metavar="EXPERIMENT",
        help="the experiment to rank (default: the default config's experiment)",
    )
    parser.add_argument(
        "--config",
        help="the config naming the ranking metric and registered model (default: the "
        "config in configs/ of that experiment)",
    )
    parser.add_argument(
        "--plot", action="store_true", help="also save a figure to reports/figures/"
    )
    parser.set_defaults(handler=compare)


def _define_reproduce(add: AddCommand) -> None:
    parser = add(
        "reproduce",
        "train a logged run again from its config and check every metric",
        "Rebuild a training run's config from its config.yaml (signed with the run), check "
        "that the commit and the dataset version match the run's, train again (not "
        "registered) and compare every metric. Exit status 5 when a metric differs by more "
        "than the tolerance.",
    )
    parser.add_argument("run_id", metavar="RUN_ID", help="the training run to reproduce")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=1e-9,
        help="largest absolute or relative difference that still counts as equal (default: 1e-9)",
    )
    parser.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="go ahead even if the commit or the dataset differ (recorded on the run)",
    )
    parser.set_defaults(handler=reproduce)


def train(args: argparse.Namespace) -> int:
    """Train a model and register it as the candidate."""
    from ..naming import run_name
    from ..workflows.train import train

    config = config_of(args)
    name = args.run_name or run_name(config, config_and_overrides(args.items)[1])
    summary = train(config, run_name=name, description=args.description)
    report(summary.run_id, summary.url, summary.tracking_uri)
    if summary.registered_uri:
        print(f"  Model: {summary.registered_uri}, alias '{CANDIDATE_ALIAS}'")
    return ExitStatus.OK


def sweep(args: argparse.Namespace) -> int:
    """Run (or join) an Optuna study of the config's search space."""
    from ..workflows.sweep import sweep

    summary = sweep(
        config_of(args),
        trials=args.trials,
        study_name=args.study,
        register_best=args.register_best,
    )
    print(
        f"\nStudy {summary.study!r}: {summary.finished} of {summary.budget} trials finished "
        f"({summary.storage})"
    )
    best = summary.best
    if best is not None:
        print(f"  Best trial: {best.number}, {summary.metric} {best.value:.4f}")
        for name, value in best.params.items():
            print(f"    {name} = {value}")
        print(f"  Its run: {best.run_id}")
    parent = how_to_open(summary.parent.url, summary.parent.tracking_uri)
    print(f"  See the trials under the parent run: {parent}")
    if summary.registered_uri:
        print(f"  Model: {summary.registered_uri}, alias '{CANDIDATE_ALIAS}'")
    elif args.register_best:
        print("  Nothing registered: the study is not done; its last worker registers the best.")
    return ExitStatus.OK


def evaluate(args: argparse.Namespace) -> int:
    """Evaluate a model on the held-out rows."""
    from ..workflows.evaluate import evaluate

    summary = evaluate(
        config_of(args), args.model_uri, run_name=args.run_name, description=args.description
    )
    report(summary.run_id, summary.url, summary.tracking_uri)
    return ExitStatus.OK


def compare(args: argparse.Namespace) -> int:
    """Print the experiment's leaderboard, one table per set of held-out rows."""
    from ..config import config_of_experiment, load_config
    from ..paths import FIGURES_DIR
    from ..workflows.compare import leaderboard, save_figure

    config = load_config(args.config) if args.config else config_of_experiment(args.experiment)
    board = leaderboard(config, args.experiment)
    if not board.groups:
        print(f"No finished training runs in {board.experiment!r} yet: run `make train`.")
        return ExitStatus.OK
    for group in board.groups:
        direction = "higher" if group.higher_is_better else "lower"
        print(
            f"\nHeld-out rows {group.rows_digest[:12]} ({len(group.entries)} run(s)), "
            f"ranked by {group.metric} ({direction} is better):"
        )
        width = max(len(entry.name) for entry in group.entries)
        for rank, entry in enumerate(group.entries, start=1):
            value = entry.metrics.get(group.metric)
            shown = f"{value:.4f}" if value is not None else "-"
            model = f"v{entry.version}" if entry.version else "-"
            if entry.aliases:
                model += f" @{','.join(entry.aliases)}"
            params = " ".join(f"{key}={value}" for key, value in entry.params.items())
            print(f"  {rank:>2}. {shown}  {entry.name:<{width}}  {model:<16} {params}".rstrip())
    if len(board.groups) > 1:
        print("\nRuns scored on different held-out rows are not ranked together.")
    if args.plot:
        print(f"Figure: {save_figure(board, FIGURES_DIR)}")
    return ExitStatus.OK


def reproduce(args: argparse.Namespace) -> int:
    """Train a run again and compare its metrics; exit 5 if one differs."""
    from ..workflows.reproduce import reproduce

    result = reproduce(args.run_id, tolerance=args.tolerance, allow_mismatch=args.allow_mismatch)
    report(result.run.run_id, result.run.url, result.run.tracking_uri)
    for name, (original, again) in sorted(result.metrics.items()):
        shown = f"{again:.6g}" if again is not None else "missing"
        print(f"  {name:<12} {original:.6g} -> {shown}")
    print(f"  Verdict: {result.verdict}, reproducing run {result.original_run_id}")
    return ExitStatus.OK if result.reproduced else ExitStatus.NOT_REPRODUCED
