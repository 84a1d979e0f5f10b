"""Row fingerprints: one 64-bit number per row, the same for the same row in any file.

A row's fingerprint depends only on its own values (or on its key columns), never on its
position, the file's other rows or the order of the columns: so appending or reordering rows
leaves every existing row's fingerprint as it was, and identical rows share one. Numbers are
fingerprinted by value, so a column read as integers today and as floats tomorrow (a missing
value appeared) keeps its rows' fingerprints. The hash split salts them with the seed
(:func:`salted_fractions`); lineage records stores them unsalted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def row_fingerprints(frame: pd.DataFrame) -> np.ndarray:
    """Return each row's 64-bit fingerprint (``uint64``), in the rows' order.

    Columns are taken in the order of their names; numeric and boolean values are taken as
    64-bit floats, so ``1``, ``1.0`` and ``True`` are one value; text and categories by their
    text. The index is ignored.
    """
    if frame.shape[1] == 0:
        raise ValueError("Cannot fingerprint rows without columns")
    ordered = frame[sorted(frame.columns, key=str)]
    canonical = pd.DataFrame(
        {str(name): _canonical(column) for name, column in ordered.items()}, copy=False
    )
    return pd.util.hash_pandas_object(canonical, index=False).to_numpy(np.uint64)


def salted_fractions(fingerprints: np.ndarray, seed: int) -> np.ndarray:
    """Map fingerprints to fractions in [0, 1), a different uniform draw for each seed.

    The fraction of a row depends only on its fingerprint and the seed (SplitMix64's mixer
    applied to the two), so it never changes as other rows come and go.
    """
    salt = _mix(np.asarray([seed % 2**64], dtype=np.uint64))[0]
    with np.errstate(over="ignore"):
        mixed = _mix(fingerprints ^ salt)
    return (mixed >> np.uint64(11)).astype(np.float64) / float(2**53)


def _mix(values: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: every input bit flips about half the output bits."""
    with np.errstate(over="ignore"):
        z = values + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX_1
        z = (z ^ (z >> np.uint64(27))) * _MIX_2
        return z ^ (z >> np.uint64(31))


def _canonical(column: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        values = column.astype(np.float64)
        return values.where(values != 0, 0.0)  # -0.0 and 0.0 are one value; NaN stays NaN
    return column.astype("string")
