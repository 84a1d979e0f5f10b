"""Read and write CSV or Parquet tables in chunks, so memory does not grow with the file.

Writing goes to a temporary file beside the destination, moved into place only when every
chunk is written: a failure or an interrupt never leaves a half-written table behind. A file
that cannot be read as a table (empty, not CSV or Parquet, another suffix) is a
:class:`TableError` naming the file and what is wrong with it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .errors import RefusedError

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

CSV_SUFFIXES = (".csv",)
PARQUET_SUFFIXES = (".parquet", ".pq")
SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES
_BLOCK_BYTES = 1 << 20


class TableError(RefusedError, ValueError):
    """A file that is not a readable CSV or Parquet table; the message says why."""


def check_suffix(path: Path) -> None:
    """Refuse a path that is neither CSV nor Parquet, naming the accepted suffixes."""
    if path.suffix.lower() not in SUFFIXES:
        raise TableError(
            f"{path}: unsupported file type {path.suffix or '(none)'!r}; use one of "
            f"{', '.join(SUFFIXES)}"
        )


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn the parsers' errors about a file into one :class:`TableError` that names it."""
    import pyarrow as pa

    kind = "Parquet" if is_parquet(path) else "CSV"
    try:
        yield
    except pd.errors.EmptyDataError:
        raise TableError(f"{path} is empty: a {kind} table needs at least a header") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pa.ArrowException) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise TableError(f"{path} is not a readable {kind} table ({first})") from None


def is_parquet(path: Path) -> bool:
    """Return whether the path names a Parquet file (by its suffix)."""
    return path.suffix.lower() in PARQUET_SUFFIXES


def columns(path: Path) -> list[str]:
    """Return the column names of a table without reading its rows."""
    check_suffix(path)
    with _reading(path):
        if is_parquet(path):
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
        return [str(column) for column in pd.read_csv(path, nrows=0).columns]


def read_table(path: Path) -> pd.DataFrame:
    """Read a whole CSV or Parquet table."""
    check_suffix(path)
    with _reading(path):
        return pd.read_parquet(path) if is_parquet(path) else pd.read_csv(path)


def head(path: Path, rows: int) -> pd.DataFrame:
    """Return the first ``rows`` rows of a table."""
    check_suffix(path)
    if not is_parquet(path):
        with _reading(path):
            return pd.read_csv(path, nrows=rows)
    return next(iter_chunks(path, rows), pd.DataFrame(columns=columns(path)))


def file_digest(path: Path) -> tuple[str, int]:
    """Return a short SHA-256 digest of the file's bytes and its number of lines.

    One pass over the file, in blocks. For a CSV the line count is the row count plus the
    header (a quoted value holding a line break would count twice: use it for progress only).
    """
    digest, lines, last = hashlib.sha256(), 0, b""
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK_BYTES):
            digest.update(block)
            lines += block.count(b"\n")
            last = block[-1:]
    if last and last != b"\n":
        lines += 1
    return digest.hexdigest()[:12], lines


def digest_and_rows(path: Path) -> tuple[str, int]:
    """Return the file's digest and its number of rows, in one pass over the file.

    The rows come from Parquet's metadata, or from a CSV's lines minus the header.
    """
    digest, lines = file_digest(path)
    if is_parquet(path):
        import pyarrow.parquet as pq

        with _reading(path):
            return digest, pq.ParquetFile(path).metadata.num_rows
    return digest, max(lines - 1, 0)


def iter_chunks(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    """Yield the table's rows in chunks of at most ``rows`` rows."""
    check_suffix(path)
    with _reading(path):
        if is_parquet(path):
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
                yield batch.to_pandas()
        else:
            with pd.read_csv(path, chunksize=rows) as reader:
                yield from reader


class ChunkWriter:
    """Appends chunks of rows to an open CSV or Parquet file (see :func:`atomic_writer`).

    pyarrow's writers keep the file open and encode whole columns at once, which is several
    times faster than formatting each chunk with pandas.
    """

    def __init__(self, path: Path) -> None:
        """Write to ``path``, in the format its suffix names."""
        self.path = path
        self.rows = 0
        self._writer: pq.ParquetWriter | pa_csv.CSVWriter | None = None
        self._schema: pa.Schema | None = None

    def write(self, chunk: pd.DataFrame) -> None:
        """Append the rows of ``chunk``; every chunk must have the same columns and types."""
        import pyarrow as pa

        table = pa.Table.from_pandas(chunk, preserve_index=False)
        if self._writer is None:
            self._schema = table.schema
            self._writer = self._open(table.schema)
        self._writer.write_table(table.cast(self._schema))
        self.rows += len(chunk)

    def _open(self, schema: pa.Schema) -> pq.ParquetWriter | pa_csv.CSVWriter:
        if is_parquet(self.path):
            import pyarrow.parquet as pq

            return pq.ParquetWriter(self.path, schema)
        import pyarrow.csv as pa_csv

        options = pa_csv.WriteOptions(quoting_style="needed")  # plain header, as pandas writes
        return pa_csv.CSVWriter(self.path, schema, write_options=options)

    def close(self) -> None:
        """Finish the file (Parquet writes its footer here)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        elif not self.path.exists():
            self.path.touch()  # no rows at all: still an (empty) file


@contextmanager
def atomic_writer(destination: Path, *, overwrite: bool = False) -> Iterator[ChunkWriter]:
    """Write a table to a temporary file, then move it to ``destination`` in one step.

    Raises:
        FileExistsError: If ``destination`` exists and ``overwrite`` is false.
    """
    check_suffix(destination)
    if destination.exists() and not overwrite:
        raise FileExistsError(
            f"{destination} already exists: choose another --output or pass --overwrite"
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{destination.name}.", suffix=destination.suffix, dir=destination.parent
    )
    os.close(handle)
    writer = ChunkWriter(Path(temporary))
    Path(temporary).unlink()  # the writer creates it; CSV appends must start from nothing
    try:
        yield writer
        writer.close()
        Path(temporary).replace(destination)
    finally:
        Path(temporary).unlink(missing_ok=True)
