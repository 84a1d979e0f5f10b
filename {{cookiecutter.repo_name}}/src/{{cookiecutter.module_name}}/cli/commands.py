"""What each sub-command does: call its workflow and print the result for a person.

Workflows are imported inside each function, so ``--help`` imports no heavy library.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import TYPE_CHECKING

from ..tracking.registry import CANDIDATE_ALIAS, CHAMPION_ALIAS
from ..tracking.store import UI_HOST

if TYPE_CHECKING:
    from ..config import ExperimentConfig


class ExitStatus(IntEnum):
    """The command line's exit statuses (see the package docstring)."""

    OK = 0
    ERROR = 1
    REFUSED = 2
    NOT_PROMOTED = 3
    RETRAIN = 4
    NOT_REPRODUCED = 5
    STORE_UNAVAILABLE = 75  # sysexits' EX_TEMPFAIL: a scheduler may try again later


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
    if summary.best_trial is not None:
        print(f"  Best trial: {summary.best_trial}, {summary.metric} {summary.best_value:.4f}")
        for name, value in summary.best_params.items():
            print(f"    {name} = {value}")
        print(f"  Its run: {summary.best_run_id}")
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


def promote(args: argparse.Namespace) -> int:
    """Promote the candidate if it wins; exit 3 if it lost."""
    from ..workflows.promote import promote

    decision = promote(
        config_of(args),
        version=args.version,
        allow_other_rows=args.allow_other_rows,
        force_reason=args.force,
    )
    if decision.run is not None:
        report(decision.run.run_id, decision.run.url, decision.run.tracking_uri)
    if decision.promoted:
        print(f"  Promoted: version {decision.challenger} is the '{CHAMPION_ALIAS}'.")
        print(f"  Why: {decision.reason}")
        return ExitStatus.OK
    print(f"  Not promoted: version {decision.champion} stays the '{CHAMPION_ALIAS}'.")
    print(f"  Why: {decision.reason}")
    return ExitStatus.NOT_PROMOTED


def predict(args: argparse.Namespace) -> int:
    """Write a model's predictions for a file."""
    from ..workflows.predict import predict

    summary = predict(
        config_of(args),
        args.input,
        model_uri=args.model_uri,
        output=args.output,
        keep=args.keep,
        overwrite=args.overwrite,
    )
    report(summary.run.run_id, summary.run.url, summary.run.tracking_uri)
    print(f"  Predictions: {summary.output} ({summary.rows} rows, {summary.model_uri})")
    return ExitStatus.OK


def serve(args: argparse.Namespace) -> int:
    """Serve a REST API of one fixed, verified model version until stopped."""
    from ..workflows.serve import load_served, serve

    stored = load_served(config_of(args), args.model_uri)
    signed = f"signed by {stored.signer}" if stored.signer else "unsigned, trusted by you"
    print(
        f"Serving {stored.uri} ({signed})\n  on http://{args.host}:{args.port} "
        "(GET /ping, POST /invocations; Ctrl+C to stop)",
        flush=True,
    )
    serve(stored, args.host, args.port)
    return ExitStatus.OK


def keygen(args: argparse.Namespace) -> int:
    """Create this person's signing key, and trust its public key in this project."""
    from .. import signatures

    setup = signatures.create_key(args.name)
    made = "created" if setup.created_private else "kept the existing"
    print(f"Signing key: {made} {setup.private_key} (private: never share or commit it)")
    if setup.created_public:
        relative = setup.public_key.relative_to(setup.public_key.parent.parent)
        print(
            f"Public key: {setup.public_key}. Commit it (git add {relative} && git commit -m "
            "'Trust my model signing key'): until then only this checkout trusts your models."
        )
    else:
        print(f"Public key: {setup.public_key} (already trusted by this project)")
    return ExitStatus.OK


def monitor(args: argparse.Namespace) -> int:
    """Check a batch for drift and performance; exit 4 if retraining is recommended."""
    from ..workflows.monitor import monitor

    result = monitor(config_of(args), args.input)
    if result.run is not None:
        report(result.run.run_id, result.run.url, result.run.tracking_uri)
    drifted = result.drift.drifted
    print(f"  Drift: {len(drifted)} of {len(result.drift.features)} features")
    for feature in drifted:
        print(
            f"    {feature.feature:<28} {feature.test:<4} effect {feature.effect:.3f}"
            f"  adjusted p {feature.adjusted_p_value:.3g}"
        )
    for name, value in result.metrics.items():
        baseline = result.baseline.get(name)
        against = f" (baseline {baseline:.4f})" if baseline is not None else ""
        print(f"  {name:<12} {value:.4f}{against}")
    print(f"  Decision: {'retrain' if result.retrain else 'ok'}")
    for reason in result.reasons:
        print(f"    - {reason}")
    return ExitStatus.RETRAIN if result.retrain else ExitStatus.OK


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


def ui(args: argparse.Namespace) -> int:
    """Replace this process with the MLflow UI of the project's store."""
    from ..tracking import store

    uri = store.tracking_uri()
    if uri.startswith(("http://", "https://")):
        print(f"Runs are on the tracking server: open {uri} in a browser.")
        return ExitStatus.OK
    database = store.sqlite_path(uri)
    if database is not None and not database.exists():
        store.configure()  # create the store under the project's lock, not by the UI
    command, environment = store.ui_command(uri, args.port, verbose=args.verbose)
    print(
        f"MLflow UI for {uri}\n  on http://{UI_HOST}:{args.port} (Ctrl+C to stop)\n"
        "  Choose 'Model training' at the top left to see runs (the UI opens in its GenAI "
        "view), or open the links that train and evaluate print.",
        flush=True,
    )
    os.execve(command[0], command, environment)  # the server replaces this process


def server(args: argparse.Namespace) -> int:
    """Run the team's tracking server until it stops."""
    from ..workflows.server import run_server

    return run_server(args.host, args.port, args.workers)


def add_user(args: argparse.Namespace) -> int:
    """Create a user on the tracking server."""
    from ..tracking import store
    from ..workflows.server import add_user

    uri = store.tracking_uri()
    if not uri.startswith(("http://", "https://")):
        print("error: MLFLOW_TRACKING_URI must point at the tracking server", file=sys.stderr)
        return ExitStatus.REFUSED
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.username}: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    add_user(uri, args.username, password, args.experiment, args.registered_model, args.permission)
    targets = [repr(name) for name in (args.experiment, args.registered_model) if name]
    granted = f", {args.permission} on {' and '.join(targets)}" if targets else ""
    print(f"User {args.username!r} added to {uri}{granted}.")
    return ExitStatus.OK


def close_stale(args: argparse.Namespace) -> int:
    """Close runs left RUNNING by dead processes, or running for too long."""
    from ..tracking import store
    from ..tracking.recording import close_abandoned_runs
    from ..workflows.steps import withdraw_unfinished

    config = config_of(args)
    store.configure()
    experiment_id = store.set_experiment(config.experiment)
    closed = close_abandoned_runs(experiment_id, older_than_hours=args.hours)
    print(f"Closed {len(closed)} run(s) as KILLED: {', '.join(closed) or 'none'}")
    withdrawn = withdraw_unfinished(config.registered_model, experiment_id)
    if config.registered_model:
        print(
            f"Withdrew {len(withdrawn)} version(s) of {config.registered_model!r} whose "
            f"training did not finish: {', '.join(withdrawn) or 'none'}"
        )
    return ExitStatus.OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "train": train,
    "sweep": sweep,
    "evaluate": evaluate,
    "promote": promote,
    "predict": predict,
    "serve": serve,
    "keygen": keygen,
    "monitor": monitor,
    "compare": compare,
    "reproduce": reproduce,
    "ui": ui,
    "server": server,
    "add-user": add_user,
    "close-stale": close_stale,
}


def config_of(args: argparse.Namespace) -> ExperimentConfig:
    """Load the config and overrides given as ``[CONFIG] [KEY=VALUE ...]`` (and flags)."""
    from ..config import load_config

    name, overrides = config_and_overrides(args.items)
    if getattr(args, "trust_pickle", False):
        overrides.append("trust_pickle=true")
    return load_config(name, overrides)


def config_and_overrides(items: Sequence[str]) -> tuple[str | None, list[str]]:
    """Split ``[CONFIG] [KEY=VALUE ...]``: only the first item may be a config name."""
    from ..config import ConfigError

    config = items[0] if items and "=" not in items[0] else None
    overrides = list(items[1:] if config is not None else items)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"{item!r} is not a KEY=VALUE override; the config comes first")
    return config, overrides


def report(run_id: str, url: str, tracking_uri: str) -> None:
    """Print where to see a finished run."""
    print(f"\nRun {run_id} finished.\n  See it: {how_to_open(url, tracking_uri)}")


def how_to_open(url: str, tracking_uri: str) -> str:
    """Say how to open a run's page: on the tracking server, or in ``make ui``."""
    if tracking_uri.startswith(("http://", "https://")):
        return f"open {url}"
    return f"run `make ui` and open {url}"
