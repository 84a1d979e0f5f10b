"""Command line: ``python -m <package> COMMAND`` (``make train``, ``make promote``...).

Only the standard library is imported at start-up so that ``--help`` answers at once;
MLflow, scikit-learn and pandas are imported by the command that needs them.

Exit statuses, for schedulers and CI (``make`` turns any failure into its own status 2):

- 0: done (``promote``: promoted, or already the champion; ``monitor``: no retraining);
- 1: an unexpected error (a traceback is printed);
- 2: bad input or a refusal: one ``error:`` line says what is wrong and how to fix it;
- 3: ``promote``: the challenger did not beat the champion, nothing changed;
- 4: ``monitor``: retraining is recommended.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path

from .tracking.registry import CANDIDATE_ALIAS, CHAMPION_ALIAS
from .tracking.store import UI_HOST, UI_PORT
from .workflows.serve import SERVE_HOST, SERVE_PORT

PROG = f"python -m {__package__}"


class ExitStatus(IntEnum):
    """The command line's exit statuses (see the module docstring)."""

    OK = 0
    ERROR = 1
    REFUSED = 2
    NOT_PROMOTED = 3
    RETRAIN = 4


EXAMPLES = f"""\
examples:
  {PROG} train                               # configs/classification.yaml
  {PROG} train regression                    # configs/regression.yaml
  {PROG} train model.params.C=0.5 split.seed=7
  {PROG} evaluate                            # the 'candidate' model, held-out rows
  {PROG} promote                             # candidate vs champion on the same rows
  {PROG} predict data/raw/new.csv --keep id  # the champion's predictions, to a file
  {PROG} serve                               # REST API of the champion on 127.0.0.1:5001
  {PROG} monitor data/raw/new_labelled.csv   # drift and performance: retrain or not
  {PROG} ui                                  # http://127.0.0.1:5000

exit statuses: 0 done, 1 unexpected error, 2 bad input or refused,
  3 promote: the challenger lost, 4 monitor: retraining recommended
"""

ITEMS_HELP = (
    "a config file or a name in configs/ (default: classification), then KEY=VALUE "
    "overrides of single values, parsed as YAML, e.g. model.params.C=0.5"
)
ITEMS_METAVAR = "[CONFIG] [KEY=VALUE ...]"


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the command line."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Train, promote, predict, serve and monitor this project's models.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser(
        "train",
        help="train and evaluate a model from a config, tracked in MLflow",
        description="Train a model, evaluate it on held-out rows and log the run to MLflow; "
        "the model is registered with the alias 'candidate'.",
    )
    train.add_argument("items", nargs="*", metavar=ITEMS_METAVAR, help=ITEMS_HELP)

    evaluate = commands.add_parser(
        "evaluate",
        help="evaluate a logged or registered model on a config's held-out rows",
        description="Evaluate a model from the store on the held-out rows of a config, "
        "as a new run in the config's experiment.",
    )
    evaluate.add_argument("items", nargs="*", metavar=ITEMS_METAVAR, help=ITEMS_HELP)
    evaluate.add_argument(
        "--model-uri",
        help="the model, e.g. runs:/<run id>/model or models:/<name>/<version> "
        "(default: models:/<registered_model>@candidate)",
    )

    promote = commands.add_parser(
        "promote",
        help="make the candidate the champion if it beats the champion on the same rows",
        description="Score the challenger (the 'candidate', or --version) and the 'champion' "
        "on the config's held-out rows and move 'champion' to the challenger if it is better "
        "by the config's promotion.margin. Exit status 3 when the challenger lost.",
    )
    promote.add_argument("items", nargs="*", metavar=ITEMS_METAVAR, help=ITEMS_HELP)
    promote.add_argument("--version", help="the challenger's version (default: the candidate)")
    promote.add_argument(
        "--allow-other-rows",
        action="store_true",
        help="compare even if a model was trained with other held-out rows (recorded)",
    )
    promote.add_argument(
        "--force",
        metavar="REASON",
        help="promote whatever the comparison says, for this reason (recorded with your name)",
    )

    predict = commands.add_parser(
        "predict",
        help="write the champion's predictions for a CSV or Parquet file",
        description="Score a CSV or Parquet file in chunks with a registered model (default: "
        "the champion) and write the predictions, and scores, to a file; tracked as a run.",
    )
    predict.add_argument("input", type=Path, help="the CSV or Parquet file to score")
    predict.add_argument("items", nargs="*", metavar=ITEMS_METAVAR, help=ITEMS_HELP)
    predict.add_argument("--model-uri", help="default: models:/<registered_model>@champion")
    predict.add_argument(
        "--output", type=Path, help="default: data/predictions/<input name>.predictions.<ext>"
    )
    predict.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="COLUMN",
        help="copy this input column to the output, e.g. an id (repeatable)",
    )
    predict.add_argument("--overwrite", action="store_true", help="replace an existing output")

    serve = commands.add_parser(
        "serve",
        help="serve a REST API of the champion with MLflow's model server",
        description="Start `mlflow models serve` for a registered model (default: the "
        "champion): GET /ping, POST /invocations.",
    )
    serve.add_argument("items", nargs="*", metavar=ITEMS_METAVAR, help=ITEMS_HELP)
    serve.add_argument("--model-uri", help="default: models:/<registered_model>@champion")
    serve.add_argument(
        "--host", default=SERVE_HOST, help=f"default: {SERVE_HOST} (this machine only)"
    )
    serve.add_argument("--port", type=int, default=SERVE_PORT, help=f"default: {SERVE_PORT}")

    monitor = commands.add_parser(
        "monitor",
        help="check a new batch for drift and the champion's performance: retrain or not",
        description="Compare a batch with the champion's training data (per-feature drift "
        "tests) and, if it has the target column, the champion's metrics with its baseline. "
        "Exit status 4 when retraining is recommended.",
    )
    monitor.add_argument("input", type=Path, help="the CSV or Parquet batch")
    monitor.add_argument("items", nargs="*", metavar=ITEMS_METAVAR, help=ITEMS_HELP)

    ui = commands.add_parser(
        "ui",
        help="serve the MLflow UI for this project's runs on 127.0.0.1",
        description="Serve the MLflow UI for the project's store (or print the tracking "
        "server's address when MLFLOW_TRACKING_URI points at one).",
    )
    ui.add_argument("--port", type=int, default=UI_PORT, help=f"port (default: {UI_PORT})")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit status."""
    args = build_parser().parse_args(argv)
    from .config import ConfigError
    from .workflows import RefusedError

    try:
        with _progress_printed():
            return COMMANDS[args.command](args)
    except (ConfigError, RefusedError, FileNotFoundError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return ExitStatus.REFUSED


def _train(args: argparse.Namespace) -> int:
    from .workflows.train import train

    summary = train(_config(args))
    _report(summary.run_id, summary.url, summary.tracking_uri)
    if summary.registered_uri:
        print(f"  Model: {summary.registered_uri}, alias '{CANDIDATE_ALIAS}'")
    return ExitStatus.OK


def _evaluate(args: argparse.Namespace) -> int:
    from .workflows.evaluate import evaluate

    summary = evaluate(_config(args), args.model_uri)
    _report(summary.run_id, summary.url, summary.tracking_uri)
    return ExitStatus.OK


def _promote(args: argparse.Namespace) -> int:
    from .workflows.promote import promote

    decision = promote(
        _config(args),
        version=args.version,
        allow_other_rows=args.allow_other_rows,
        force_reason=args.force,
    )
    if decision.run is not None:
        _report(decision.run.run_id, decision.run.url, decision.run.tracking_uri)
    if decision.promoted:
        print(f"  Promoted: version {decision.challenger} is the '{CHAMPION_ALIAS}'.")
        print(f"  Why: {decision.reason}")
        return ExitStatus.OK
    print(f"  Not promoted: version {decision.champion} stays the '{CHAMPION_ALIAS}'.")
    print(f"  Why: {decision.reason}")
    return ExitStatus.NOT_PROMOTED


def _predict(args: argparse.Namespace) -> int:
    from .workflows.predict import predict

    summary = predict(
        _config(args),
        args.input,
        model_uri=args.model_uri,
        output=args.output,
        keep=args.keep,
        overwrite=args.overwrite,
    )
    _report(summary.run.run_id, summary.run.url, summary.run.tracking_uri)
    print(f"  Predictions: {summary.output} ({summary.rows} rows, {summary.model_uri})")
    return ExitStatus.OK


def _serve(args: argparse.Namespace) -> int:
    from .tracking.registry import alias_uri
    from .workflows.serve import serve_command
    from .workflows.steps import registered_name

    config = _config(args)
    model_uri = args.model_uri or alias_uri(registered_name(config), CHAMPION_ALIAS)
    command, environment = serve_command(model_uri, args.host, args.port)
    print(
        f"Serving {model_uri}\n  on http://{args.host}:{args.port} "
        "(GET /ping, POST /invocations; Ctrl+C to stop)",
        flush=True,
    )
    os.execve(command[0], command, environment)  # the server replaces this process


def _monitor(args: argparse.Namespace) -> int:
    from .workflows.monitor import monitor

    report = monitor(_config(args), args.input)
    assert report.run is not None
    _report(report.run.run_id, report.run.url, report.run.tracking_uri)
    drifted = report.drift.drifted
    print(f"  Drift: {len(drifted)} of {len(report.drift.features)} features")
    for feature in drifted:
        print(
            f"    {feature.feature:<28} {feature.test:<4} effect {feature.effect:.3f}"
            f"  adjusted p {feature.adjusted_p_value:.3g}"
        )
    for name, value in report.metrics.items():
        baseline = report.baseline.get(name)
        against = f" (baseline {baseline:.4f})" if baseline is not None else ""
        print(f"  {name:<12} {value:.4f}{against}")
    print(f"  Decision: {'retrain' if report.retrain else 'ok'}")
    for reason in report.reasons:
        print(f"    - {reason}")
    return ExitStatus.RETRAIN if report.retrain else ExitStatus.OK


def _ui(args: argparse.Namespace) -> int:
    from .tracking import store

    uri = store.tracking_uri()
    if uri.startswith(("http://", "https://")):
        print(f"Runs are on the tracking server: open {uri} in a browser.")
        return ExitStatus.OK
    database = store.sqlite_path(uri)
    if database is not None and not database.exists():
        store.configure()  # create the store under the project's lock, not by the UI
    command = store.ui_command(uri, args.port)
    print(f"MLflow UI for {uri}\n  on http://{UI_HOST}:{args.port} (Ctrl+C to stop)", flush=True)
    os.execv(command[0], command)  # the server replaces this process: signals reach it


COMMANDS = {
    "train": _train,
    "evaluate": _evaluate,
    "promote": _promote,
    "predict": _predict,
    "serve": _serve,
    "monitor": _monitor,
    "ui": _ui,
}


def _config(args: argparse.Namespace):  # noqa: ANN202 - an ExperimentConfig, imported lazily
    """Load the config and overrides given as ``[CONFIG] [KEY=VALUE ...]``."""
    from .config import load_config

    return load_config(*_config_and_overrides(args.items))


def _config_and_overrides(items: Sequence[str]) -> tuple[str | None, list[str]]:
    """Split ``[CONFIG] [KEY=VALUE ...]``: only the first item may be a config name."""
    from .config import ConfigError

    config = items[0] if items and "=" not in items[0] else None
    overrides = list(items[1:] if config is not None else items)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"{item!r} is not a KEY=VALUE override; the config comes first")
    return config, overrides


def _report(run_id: str, url: str, tracking_uri: str) -> None:
    where = (
        "open" if tracking_uri.startswith(("http://", "https://")) else "run `make ui` and open"
    )
    print(f"\nRun {run_id} finished.\n  See it: {where} {url}")


@contextmanager
def _progress_printed() -> Iterator[None]:
    """Print the package's INFO log lines (the workflows' progress) on stdout while it runs."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    package_logger = logging.getLogger(__package__)
    previous_level = package_logger.level
    package_logger.addHandler(handler)
    package_logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        package_logger.removeHandler(handler)
        package_logger.setLevel(previous_level)
