"""Command line: ``python -m <package> COMMAND`` (``make train``, ``make promote``...).

Only the standard library is imported at start-up so that ``--help`` answers at once;
MLflow, scikit-learn and pandas are imported by the command that needs them.

A command prints its own steps and results and nothing else: the libraries' INFO lines and
their known, harmless warnings are hidden, and ``-v`` (``--verbose``) shows them again.

Exit statuses, for schedulers and CI: :class:`.common.ExitStatus`, listed by ``--help``
(Ctrl-C and SIGTERM exit 130 and 143, and mark the run in progress KILLED).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from .. import interrupts
from ..errors import RefusedError
from ..tracking.environment import MLFLOW_LOGGING_LEVEL
from .common import ExitStatus
from .parser import build_parser

__all__ = ["ExitStatus", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit status."""
    args = build_parser().parse_args(argv)
    from ..tracking.retries import StoreUnavailableError

    try:
        with interrupts.signals_raise(), _console(verbose=args.verbose):
            return args.handler(args)
    except (RefusedError, FileExistsError, FileNotFoundError) as error:
        print(f"error: {_one_line(error)}{_run_ends()}", file=sys.stderr)
        return ExitStatus.REFUSED
    except StoreUnavailableError as error:
        print(f"error: {error}.{_run_ends()}", file=sys.stderr)
        return ExitStatus.STORE_UNAVAILABLE
    except interrupts.Interrupted as stop:
        ended = _run_ends() or " No run was in progress."
        print(f"\nInterrupted ({stop}).{ended}", file=sys.stderr)
        return stop.exit_status
    except Exception as error:
        message = _server_refusal(error)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return ExitStatus.REFUSED


def _one_line(error: BaseException) -> str:
    """An error's message on one line: the command says what went wrong in one line."""
    return " ".join(str(error).split())


def _run_ends() -> str:
    """Say truthfully how the command's runs ended: marked, or left for close-stale."""
    if "mlflow" not in sys.modules:
        return ""
    from ..tracking.runs import take_run_ends

    said = ""
    for end in take_run_ends():
        if end.status == "FINISHED" and end.recorded:
            continue
        if end.recorded:
            said += f" Run {end.run_id} was marked {end.status}."
        else:
            said += (
                f" Run {end.run_id} could not be marked {end.status} (the tracking store did "
                "not answer): it stays RUNNING until `make close-stale`, or the next command "
                "on this machine, closes it."
            )
    return said


def _server_refusal(error: Exception) -> str | None:
    """Say in one line why the tracking server refused a request (401, 403), if it did."""
    status = getattr(error, "get_http_status_code", lambda: None)()
    text = str(error)
    if status == 401 or ("401" in text and "Unauthorized" in text):
        return (
            "the tracking server refused the credentials (401 Unauthorized): set "
            "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD in .env or the environment"
        )
    if status == 403 or "PERMISSION_DENIED" in text:
        return (
            "the tracking server denied this to your user (403 Forbidden): ask its admin for "
            "EDIT permission on the experiment (docs/tracking.md, team server)"
        )
    return None


@contextmanager
def _console(*, verbose: bool) -> Iterator[None]:
    """Print the workflows' progress (their INFO log lines) on stdout while a command runs.

    Other log lines of the package (such as the types trusted for skops) and MLflow's INFO
    lines are shown only when ``verbose``. MLflow reads its level from the environment
    when it is imported (:func:`~..tracking.recording.prepare_environment` defaults it to
    WARNING); it is also set here in case MLflow was imported already.
    """
    package = __package__.rpartition(".")[0]
    level = logging.INFO if verbose else logging.WARNING
    if verbose:
        os.environ[MLFLOW_LOGGING_LEVEL] = "INFO"
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    levels = {package: level, f"{package}.workflows": logging.INFO}
    if "mlflow" in sys.modules:  # otherwise MLflow reads MLFLOW_LOGGING_LEVEL when imported
        levels["mlflow"] = level
    previous = {name: logging.getLogger(name).level for name in levels}
    for name, name_level in levels.items():
        logging.getLogger(name).setLevel(name_level)
    logging.getLogger(package).addHandler(handler)
    try:
        yield
    finally:
        logging.getLogger(package).removeHandler(handler)
        for name, name_level in previous.items():
            logging.getLogger(name).setLevel(name_level)
