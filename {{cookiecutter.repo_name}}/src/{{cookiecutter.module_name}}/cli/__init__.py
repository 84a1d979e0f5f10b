"""Command line: ``python -m <package> COMMAND`` (``make train``, ``make promote``...).

Only the standard library is imported at start-up so that ``--help`` answers at once;
MLflow, scikit-learn and pandas are imported by the command that needs them.

Exit statuses, for schedulers and CI (``make`` turns any failure into its own status 2):

- 0: done (``promote``: promoted, or already the champion; ``monitor``: no retraining);
- 1: an unexpected error (a traceback is printed);
- 2: bad input or a refusal: one ``error:`` line says what is wrong and how to fix it;
- 3: ``promote``: the challenger did not beat the champion, nothing changed;
- 4: ``monitor``: retraining is recommended;
- 5: ``reproduce``: a metric came out different;
- 130 / 143: stopped by Ctrl-C / SIGTERM; the run in progress is marked KILLED.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from .. import interrupts
from .commands import COMMANDS, ExitStatus
from .parser import build_parser

__all__ = ["ExitStatus", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit status."""
    args = build_parser().parse_args(argv)
    from ..config import ConfigError
    from ..safety import UntrustedModelError
    from ..workflows import RefusedError

    try:
        with interrupts.signals_raise(), _progress_printed():
            return COMMANDS[args.command](args)
    except (
        ConfigError,
        RefusedError,
        UntrustedModelError,
        FileExistsError,
        FileNotFoundError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return ExitStatus.REFUSED
    except interrupts.Interrupted as stop:
        print(f"\nInterrupted ({stop}): any run in progress was marked KILLED.", file=sys.stderr)
        return stop.exit_status
    except Exception as error:
        message = _server_refusal(error)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return ExitStatus.REFUSED


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
def _progress_printed() -> Iterator[None]:
    """Print the package's INFO log lines (the workflows' progress) on stdout while it runs."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    package_logger = logging.getLogger(__package__.rpartition(".")[0])
    previous_level = package_logger.level
    package_logger.addHandler(handler)
    package_logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        package_logger.removeHandler(handler)
        package_logger.setLevel(previous_level)
