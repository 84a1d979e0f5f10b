"""The command line's arguments: one sub-command per workflow or operation.

The commands are defined by group, each beside what it does: :mod:`.experiments` (train,
sweep, evaluate, compare, reproduce), :mod:`.lifecycle` (promote, predict, serve, monitor,
retrain) and :mod:`.operations` (ui, keygen, server, add-user, close-stale). Only the
standard library and light modules are imported, so that ``--help`` answers at once.
"""

from __future__ import annotations

import argparse

from ..tracking.store import UI_PORT
from . import experiments, lifecycle, operations
from .common import MEANINGS, PROG
from .lifecycle import SERVE_PORT

EXAMPLES = f"""\
examples:
  {PROG} train                               # configs/classification.yaml
  {PROG} train regression                    # configs/regression.yaml
  {PROG} train model.params.C=0.5 split.seed=7
  {PROG} sweep --trials 6                    # Optuna search of the config's sweep section
  {PROG} evaluate                            # the 'candidate' model, held-out rows
  {PROG} promote                             # candidate vs champion on the same rows
  {PROG} predict data/raw/new.csv --keep id  # the champion's predictions, to a file
  {PROG} serve                               # REST API of the champion on 127.0.0.1:{SERVE_PORT}
  {PROG} monitor data/raw/new_labelled.csv   # drift and performance: retrain or not
  {PROG} retrain data/raw/new_labelled.csv   # monitor, then train and promote if needed
  {PROG} compare --plot                      # leaderboard, per set of held-out rows
  {PROG} reproduce RUN_ID                    # train a run again, compare every metric
  {PROG} keygen                              # your model signing key (make install runs it)
  {PROG} ui                                  # http://127.0.0.1:{UI_PORT}
  {PROG} server                              # the team's secured tracking server

"""
VERBOSE_HELP = (
    "also show the libraries' log lines and known warnings (MLflow's INFO lines, the UI "
    "server's requests...), hidden by default"
)
GROUPS = (experiments, lifecycle, operations)


def _statuses() -> str:
    lines = [f"  {int(status):>3}  {meaning}" for status, meaning in MEANINGS.items()]
    signals = "  130 / 143: stopped by Ctrl-C / SIGTERM (the run is marked KILLED)"
    return "\n".join(["exit statuses:", *lines, signals])


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the command line; each command sets its ``handler``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Train, promote, predict, serve and monitor this project's models.",
        epilog=f"{EXAMPLES}\n{_statuses()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    # Accepted after the command too (`make train ARGS=-v`); SUPPRESS keeps a -v given first.
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=summary, description=description, parents=[verbose])

    for group in GROUPS:
        group.add_commands(add)
    return parser
