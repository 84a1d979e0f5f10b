"""What the commands share: exit statuses, the config arguments, printing where a run is.

Only the standard library is imported here: ``--help`` must answer at once.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import ExperimentConfig

PROG = f"python -m {__package__.rpartition('.')[0]}"
Handler = Callable[[argparse.Namespace], int]
# Adds one command to the command line: its name, one-line summary and description; returns
# its parser, to which the command adds its own arguments.
AddCommand = Callable[[str, str, str], argparse.ArgumentParser]


class ExitStatus(IntEnum):
    """The command line's exit statuses, for schedulers and CI; ``--help`` lists them.

    ``make`` turns any failure into its own status 2: call ``python -m <package>`` where the
    status matters.
    """

    OK = 0
    ERROR = 1
    REFUSED = 2
    NOT_PROMOTED = 3
    RETRAIN = 4
    NOT_REPRODUCED = 5
    BELOW_FLOOR = 6
    RETRAINED = 7
    STORE_UNAVAILABLE = 75  # sysexits' EX_TEMPFAIL: a scheduler may try again later


# What each status means, as `--help` prints it. 130 / 143 are the signals' own.
MEANINGS = {
    ExitStatus.OK: "done (retrain: nothing to do)",
    ExitStatus.ERROR: "unexpected error (a traceback is printed)",
    ExitStatus.REFUSED: "bad input or refused (one error: line says why)",
    ExitStatus.NOT_PROMOTED: "promote, retrain: the challenger lost, the champion stays",
    ExitStatus.RETRAIN: "monitor: retraining recommended",
    ExitStatus.NOT_REPRODUCED: "reproduce: a metric came out different",
    ExitStatus.BELOW_FLOOR: "promote, retrain: the challenger is below a floor",
    ExitStatus.RETRAINED: "retrain: retrained, and the new model is the champion",
    ExitStatus.STORE_UNAVAILABLE: "the tracking store did not answer in time: try later",
}


ITEMS_HELP = (
    "a config file or a name in configs/ (default: classification), then KEY=VALUE "
    "overrides of single values, parsed as YAML, e.g. model.params.C=0.5"
)
TRUST_PICKLE_HELP = (
    "also load a model no trusted signer signed (one from outside this project): loading "
    "it can run any code its author put in it, so only if you trust its source (recorded "
    "on the run)"
)


def add_config_items(parser: argparse.ArgumentParser) -> None:
    """The ``[CONFIG] [KEY=VALUE ...]`` arguments of a command that reads a config."""
    parser.add_argument("items", nargs="*", metavar="[CONFIG] [KEY=VALUE ...]", help=ITEMS_HELP)


def add_run_labels(parser: argparse.ArgumentParser, default_name: str) -> None:
    """``--run-name`` and ``--description`` of a command whose run a person names."""
    parser.add_argument(
        "--run-name", metavar="NAME", help=f"the run's name (default: {default_name})"
    )
    parser.add_argument(
        "--description", metavar="TEXT", help="the run's note, shown on its page in the UI"
    )


def add_trust_pickle(parser: argparse.ArgumentParser) -> None:
    """``--trust-pickle`` of a command that loads a model."""
    parser.add_argument("--trust-pickle", action="store_true", help=TRUST_PICKLE_HELP)


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
