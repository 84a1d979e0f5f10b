"""Small Markdown helpers: tables and numbers, escaped so that a value cannot break a row."""

from __future__ import annotations

from collections.abc import Sequence


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; ``|`` and new lines in a cell are escaped."""
    lines = [_row(headers), _row(["---"] * len(headers))]
    lines += [_row(row) for row in rows]
    return "\n".join(lines) + "\n"


def number(value: float | None, digits: int = 4, *, signed: bool = False) -> str:
    """A metric value as the card prints it (``-`` when there is none)."""
    if value is None:
        return "-"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def interval(bounds: tuple[float, float] | None) -> str:
    """A confidence interval, ``[-0.0034, +0.0012]``."""
    if bounds is None:
        return "-"
    return f"[{bounds[0]:+.4f}, {bounds[1]:+.4f}]"


def _row(cells: Sequence[object]) -> str:
    shown = [str(cell).replace("|", "\\|").replace("\n", " ") for cell in cells]
    return f"| {' | '.join(shown)} |"
