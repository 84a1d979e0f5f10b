"""A loaded model as a REST API: MLflow's scoring server app, answering with the model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from fastapi import FastAPI

    from ..models import Model
    from .model_store import StoredModel


def scoring_app(stored: StoredModel) -> FastAPI:
    """Return MLflow's scoring server app (``/ping``, ``/invocations``) for a loaded model.

    The app checks requests against the model's signature and answers with the model's
    own ``predict``, exactly as ``predict`` scores a file.
    """
    from mlflow.pyfunc import PyFuncModel, scoring_server

    served = PyFuncModel(model_meta=stored.metadata, model_impl=_Predicting(stored.model))
    return scoring_server.init(served)


class _Predicting:
    """What MLflow's scoring server calls: ``predict(data, params)``, the model's labels."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def predict(self, data: pd.DataFrame, params: dict[str, Any] | None = None) -> np.ndarray:
        return self.model.predict(data)
