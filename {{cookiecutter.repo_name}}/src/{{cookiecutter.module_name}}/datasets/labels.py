"""Class labels as text, so that labels read from different files compare equal."""

from __future__ import annotations

import numpy as np
import pandas as pd


def label_text(value: object) -> str:
    """A label as text, the same whether a file gave it as ``1``, ``1.0`` or ``"1"``."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def labels_of(target: pd.Series) -> list[str]:
    """The distinct labels of a target column, as text, sorted (missing values left out)."""
    return sorted({label_text(value) for value in target.dropna().unique()})
