"""Turn SIGINT and SIGTERM into exceptions that nothing can swallow unnoticed.

Python raises ``KeyboardInterrupt`` on SIGINT and, by default, dies at once on SIGTERM without
running any cleanup. Inside :func:`signals_raise`, both raise :class:`Interrupted`, and the
signal is remembered: code that catches every exception (a library's ``except Exception``
cannot, but a bare ``except`` or a ``__del__`` can) does not hide it, because
:func:`received` still says a signal came.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

HANDLED = (signal.SIGINT, signal.SIGTERM)
_received: list[int] = []


class Interrupted(BaseException):
    """The process was asked to stop (Ctrl-C or ``kill``); ``signum`` says by which signal."""

    def __init__(self, signum: int) -> None:
        """Remember the signal."""
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_status(self) -> int:
        """The conventional exit status of a process stopped by this signal (128 + number)."""
        return 128 + self.signum


def received() -> int | None:
    """Return the first signal received inside :func:`signals_raise`, if any."""
    return _received[0] if _received else None


@contextmanager
def signals_raise() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise :class:`Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: object) -> None:
        first = not _received
        _received.append(signum)
        if first:  # later signals must not interrupt the cleanup the first one started
            raise Interrupted(signum)

    previous = {signum: signal.signal(signum, handler) for signum in HANDLED}
    _received.clear()
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
