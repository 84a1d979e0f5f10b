"""Adapter that lets MLflow's ``pyfunc`` flavor store and serve any :class:`~.base.Model`."""

# No `from __future__ import annotations`: MLflow reads the type hints of `predict` at runtime.
from typing import Any, Protocol

import mlflow.pyfunc
import numpy as np
import pandas as pd


class Predictor(Protocol):
    """What the adapter needs of a model: ``predict`` (every :class:`~.base.Model` has it)."""

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Return one prediction per row."""


class PyfuncAdapter(mlflow.pyfunc.PythonModel):
    """Wraps a fitted model so ``mlflow.pyfunc`` can serialise, load and serve it."""

    def __init__(self, model: Predictor) -> None:
        """Keep the fitted model; it is serialised with the adapter."""
        self.model = model

    def predict(
        self,
        context: mlflow.pyfunc.PythonModelContext | None,
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> np.ndarray:
        """Predict with the wrapped model (called by ``pyfunc`` and model serving)."""
        return self.model.predict(model_input)
