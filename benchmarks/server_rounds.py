"""The tracking server benchmark's rounds: client processes released together, and reports."""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import statistics
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

CLIENT_TIMEOUT = 600
HTTP_STATUS = re.compile(r'HTTP/1\.[01]" (\d{3})')


@dataclass
class Round:
    """One round of one scenario: its experiment, and what its clients reported."""

    scenario: str
    clients: int
    number: int  # 0: the warm-up
    experiment: str
    reports: list[dict[str, Any]] = field(default_factory=list)
    client_failures: list[str] = field(default_factory=list)
    server_lines: list[str] = field(default_factory=list)

    @property
    def runs(self) -> list[dict[str, Any]]:
        return [run for report in self.reports for run in report["runs"]]

    @property
    def ok_runs(self) -> list[dict[str, Any]]:
        return [run for run in self.runs if "error" not in run]

    @property
    def wall(self) -> float:
        runs = self.runs
        return max(run["end"] for run in runs) - min(run["start"] for run in runs)

    @property
    def throughput(self) -> float:
        return len(self.ok_runs) / self.wall

    def latency(self, percent: int) -> float:
        samples = sorted(run["seconds"] for run in self.ok_runs)
        if len(samples) == 1:
            return samples[0]
        return statistics.quantiles(samples, n=100, method="inclusive")[percent - 1]

    @property
    def start_spread(self) -> float:
        """Seconds between the first and the last client's first run: how well they overlap."""
        firsts = [report["runs"][0]["start"] for report in self.reports if report["runs"]]
        return max(firsts) - min(firsts)


class ClientPool:
    """Client processes, started once (imports, data), each waiting for its next round.

    They talk in JSON lines: the script writes a message to a client's stdin, the client
    answers with one line on its stdout; everything else a client prints goes to its log.
    """

    def __init__(
        self, count: int, command: list[str], cwd: Path, env: dict[str, str], logs: Path
    ) -> None:
        self.processes: list[tuple[subprocess.Popen[bytes], Path]] = []
        self.failures: dict[int, str] = {}
        for number in range(count):
            log = logs / f"client-{number}.log"
            with log.open("w", encoding="utf-8") as errors:
                process = subprocess.Popen(
                    [*command, "--client", str(number)],
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=errors,
                    bufsize=0,
                )
            self.processes.append((process, log))

    def ask(
        self, numbers: Iterable[int], message: object, timeout: float = CLIENT_TIMEOUT
    ) -> dict[int, Any]:
        """Send ``message`` to these clients, all first, then read each one's answer.

        A client that exits, or does not answer in time, is recorded in ``failures`` and
        asked nothing more. With ``message`` None, only read (the line a client writes when
        it has started).
        """
        asked = [number for number in numbers if number not in self.failures]
        if message is not None:
            line = (json.dumps(message) + "\n").encode()
            for number in list(asked):
                stdin = self.processes[number][0].stdin
                assert stdin is not None
                try:
                    stdin.write(line)
                except BrokenPipeError:
                    self.fail(number, "its stdin is closed")
                    asked.remove(number)
        deadline = time.monotonic() + timeout
        answered = {}
        for number in asked:
            process, _ = self.processes[number]
            assert process.stdout is not None
            text = read_line(process.stdout, deadline)
            if text is None:
                self.fail(number, f"no answer within {timeout:.0f} s")
            else:
                answered[number] = json.loads(text)
        return answered

    def fail(self, number: int, why: str) -> None:
        process, log = self.processes[number]
        if process.poll() is None:
            process.kill()
        process.wait()
        self.failures[number] = (
            f"client {number}: {why}, exit status {process.returncode}; its log ends:\n"
            + tail(log)
        )

    def close(self) -> None:
        """Close every client's stdin (they exit at its end); kill those that linger."""
        for process, _ in self.processes:
            if process.stdin is not None and not process.stdin.closed:
                with contextlib.suppress(BrokenPipeError):
                    process.stdin.close()
        deadline = time.monotonic() + 30
        for process, _ in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def read_line(stream: IO[bytes], deadline: float) -> str | None:
    """Read one line from an unbuffered pipe; None on end of file or at the deadline."""
    data = b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([stream], [], [], remaining)[0]:
            return None
        chunk = os.read(stream.fileno(), 65536)
        if not chunk:
            return None
        data += chunk
    return data.decode()


def run_round(pool: ClientPool, one: Round) -> None:
    """Open the round's experiment in its clients, release them together, keep the reports."""
    failed_before = set(pool.failures)
    label = f"{one.scenario}{one.number}"
    opened = pool.ask(range(one.clients), {"experiment": one.experiment, "round": label})
    ready = []
    for number, answer in opened.items():
        if "error" in answer:
            why = f"client {number} could not open the experiment: {answer['error']}"
            one.client_failures.append(why)
        else:
            ready.append(number)
    one.reports = list(pool.ask(ready, {"go": True}).values())  # the start signal, to all at once
    one.client_failures += [
        why for number, why in pool.failures.items() if number not in failed_before
    ]


def tail(log: Path, characters: int = 2000) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-characters:]
