"""Command line: ``python -m <package> train | evaluate | ui`` (``make train``, ``make ui``).

Only the standard library is imported at start-up so that ``--help`` answers at once;
MLflow, scikit-learn and pandas are imported by the command that needs them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from .tracking import CANDIDATE_ALIAS, UI_PORT

PROG = f"python -m {__package__}"

EXAMPLES = f"""\
examples:
  {PROG} train                               # configs/classification.yaml
  {PROG} train regression                    # configs/regression.yaml
  {PROG} train model.params.C=0.5 split.seed=7
  {PROG} evaluate                            # the 'candidate' model, held-out rows
  {PROG} ui                                  # http://127.0.0.1:5000
"""

ITEMS_HELP = (
    "a config file or a name in configs/ (default: classification), then KEY=VALUE "
    "overrides of single values, parsed as YAML, e.g. model.params.C=0.5"
)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the command line."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Train, evaluate and browse this project's tracked experiments.",
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
    train.add_argument("items", nargs="*", metavar="[CONFIG] [KEY=VALUE ...]", help=ITEMS_HELP)

    evaluate = commands.add_parser(
        "evaluate",
        help="evaluate a logged or registered model on a config's held-out rows",
        description="Evaluate a model from the store on the held-out rows of a config, "
        "as a new run in the config's experiment.",
    )
    evaluate.add_argument("items", nargs="*", metavar="[CONFIG] [KEY=VALUE ...]", help=ITEMS_HELP)
    evaluate.add_argument(
        "--model-uri",
        help="the model, e.g. runs:/<run id>/model or models:/<name>/<version> "
        "(default: models:/<registered_model>@candidate)",
    )

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

    try:
        with _progress_printed():
            return COMMANDS[args.command](args)
    except (ConfigError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _train(args: argparse.Namespace) -> int:
    from .config import load_config
    from .flow import train

    summary = train(load_config(*_config_and_overrides(args.items)))
    _report(summary.run_id, summary.url, summary.tracking_uri)
    if summary.registered_uri:
        print(f"  Model: {summary.registered_uri}, alias '{CANDIDATE_ALIAS}'")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .config import load_config
    from .flow import evaluate

    summary = evaluate(load_config(*_config_and_overrides(args.items)), args.model_uri)
    _report(summary.run_id, summary.url, summary.tracking_uri)
    return 0


def _ui(args: argparse.Namespace) -> int:
    import subprocess

    from . import tracking

    uri = tracking.tracking_uri()
    if uri.startswith(("http://", "https://")):
        print(f"Runs are on the tracking server: open {uri} in a browser.")
        return 0
    database = tracking.sqlite_path(uri)
    if database is not None and not database.exists():
        tracking.configure()  # create the store under the project's lock, not by the UI
    print(f"MLflow UI for {uri}\n  on http://{tracking.UI_HOST}:{args.port} (Ctrl+C to stop)")
    try:
        return subprocess.call(tracking.ui_command(uri, args.port))
    except KeyboardInterrupt:
        return 0


COMMANDS = {"train": _train, "evaluate": _evaluate, "ui": _ui}


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
    """Print the package's INFO log lines (the flow's progress) on stdout while it runs."""
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
