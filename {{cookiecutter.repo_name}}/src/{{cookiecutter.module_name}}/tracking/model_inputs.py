"""A model's input columns, from its signature, and rows made to match them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import RefusedError

if TYPE_CHECKING:
    import pandas as pd
    from mlflow.models import Model as MlflowModel


class InputMismatchError(RefusedError, ValueError):
    """Rows whose columns do not have the types a model's signature expects."""


@dataclass(frozen=True)
class InputColumn:
    """One input column of a model: its name and the MLflow type it expects."""

    name: str
    type: str
    numpy_type: Any


def inputs_of(metadata: MlflowModel) -> tuple[InputColumn, ...] | None:
    """Return the input columns of a model's signature (None: no signature with names)."""
    schema = metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        return None
    return tuple(
        InputColumn(str(spec.name), spec.type.name, spec.type.to_numpy()) for spec in schema.inputs
    )


def conform(
    features: pd.DataFrame, inputs: tuple[InputColumn, ...], first_row: int
) -> pd.DataFrame:
    """Check each column's type against the model's signature and cast it to the exact type.

    Raises:
        InputMismatchError: Naming each wrong column and the rows it was found in.
    """
    wrong, casts = [], {}
    for column in inputs:
        dtype = features[column.name].dtype
        if not _compatible(column.type, dtype):
            wrong.append(f"{column.name!r} is {dtype}, the model expects {column.type}")
        elif column.numpy_type != dtype:
            casts[column.name] = column.numpy_type
    if wrong:
        last_row = first_row + len(features) - 1
        raise InputMismatchError(
            f"Wrong column type(s) in rows {first_row}-{last_row}: {'; '.join(wrong)}"
        )
    return features.astype(casts) if casts else features


def _compatible(expected: str, dtype: object) -> bool:
    """Whether values of ``dtype`` can be given as the signature's ``expected`` type."""
    import pandas as pd

    types = pd.api.types
    if expected in ("double", "float"):
        return types.is_numeric_dtype(dtype) and not types.is_bool_dtype(dtype)
    if expected in ("integer", "long"):
        return types.is_integer_dtype(dtype)
    if expected == "boolean":
        return types.is_bool_dtype(dtype)
    if expected == "string":
        return types.is_string_dtype(dtype) or types.is_object_dtype(dtype)
    if expected == "datetime":
        return types.is_datetime64_any_dtype(dtype)
    return True
