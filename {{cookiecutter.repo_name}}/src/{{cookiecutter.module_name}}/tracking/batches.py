"""MLflow's entities for a batch of writes (``MlflowClient.log_batch``), from plain mappings."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any


def params(values: Mapping[str, str]) -> list[Any]:
    """Parameters, as ``log_batch`` takes them."""
    from mlflow.entities import Param

    return [Param(key, value) for key, value in values.items()]


def tags(values: Mapping[str, str]) -> list[Any]:
    """Tags, as ``log_batch`` takes them."""
    from mlflow.entities import RunTag

    return [RunTag(key, value) for key, value in values.items()]


def metrics(values: Mapping[str, float]) -> list[Any]:
    """Metrics at step 0, timed now, as ``log_batch`` takes them."""
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    return [Metric(key, value, now, 0) for key, value in values.items()]
