"""Shared fixtures: mock building blocks and an isolated MLflow store for every test.

The dummy dataset and model are the smallest implementations of the building-block
interfaces; use them to test the flow, or your own evaluators, without real data.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from {{ cookiecutter.module_name }} import keys
from {{ cookiecutter.module_name }}.config import (
    BlockSpec,
    ExperimentConfig,
    PromotionSpec,
    SplitSpec,
)
from {{ cookiecutter.module_name }}.datasets import Dataset
from {{ cookiecutter.module_name }}.models import Model
from {{ cookiecutter.module_name }}.tracking import store


class DummyDataset(Dataset):
    """Two float features; the class is 1 when their sum is positive (with some noise)."""

    name = "dummy"
    source = "tests/conftest.py"

    def __init__(self, rows: int = 60, seed: int = 0) -> None:
        self.rows = rows
        self.seed = seed

    def load(self) -> tuple[pd.DataFrame, pd.Series]:
        rng = np.random.default_rng(self.seed)
        features = pd.DataFrame(rng.normal(size=(self.rows, 2)), columns=["x1", "x2"])
        noisy_sum = features.sum(axis=1) + rng.normal(scale=0.5, size=self.rows)
        return features, (noisy_sum > 0).astype(int).rename("label")


class DummyModel(Model):
    """Predicts 1 when the sum of the features exceeds a threshold learnt in fit."""

    def __init__(self, margin: float = 0.0) -> None:
        self.margin = margin

    def fit(self, features: pd.DataFrame, target: pd.Series) -> DummyModel:
        sums = features.sum(axis=1)
        self.threshold_ = (sums[target == 0].mean() + sums[target == 1].mean()) / 2 + self.margin
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        return (features.sum(axis=1).to_numpy() > self.threshold_).astype(int)

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        positive = 1 / (1 + np.exp(-(features.sum(axis=1).to_numpy() - self.threshold_)))
        return np.column_stack([1 - positive, positive])


class MixedDataset(Dataset):
    """Numeric features with missing values and a categorical one, as real tables have."""

    name = "mixed"
    source = "tests/conftest.py"

    def __init__(self, rows: int = 200, seed: int = 0) -> None:
        self.rows = rows
        self.seed = seed

    def load(self) -> tuple[pd.DataFrame, pd.Series]:
        rng = np.random.default_rng(self.seed)
        x1, x2 = rng.normal(size=self.rows), rng.normal(size=self.rows)
        colour = rng.choice(["red", "green", "blue"], size=self.rows)
        label = x1 + 0.5 * x2 + (colour == "red") + rng.normal(0, 0.3, self.rows) > 0.5
        x2[rng.random(self.rows) < 0.1] = np.nan  # gaps for the imputer
        features = pd.DataFrame({"x1": x1, "x2": x2, "colour": colour})
        return features, pd.Series(label.astype(int), name="label")


def mixed_types_pipeline(C: float = 1.0):  # noqa: N803 - scikit-learn's name
    """Impute and scale the numbers, one-hot encode the rest: columns chosen by type."""
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    columns = make_column_transformer(
        (
            make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
            make_column_selector(dtype_include="number"),
        ),
        (OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_exclude="number")),
    )
    return make_pipeline(columns, LogisticRegression(C=C))


def import_path(block: type) -> str:
    """The import path of a class, as a config names it."""
    return f"{block.__module__}.{block.__qualname__}"


@pytest.fixture(scope="session")
def signing_keys(tmp_path_factory):
    """A signing key made for the test session, and a trusted-signers folder that trusts it.

    Returns the environment variables that point the project at them, never at your own key.
    """
    folder = tmp_path_factory.mktemp("signing")
    environment = {
        keys.PRIVATE_KEY_ENV: str(folder / "private-key.pem"),
        keys.TRUSTED_SIGNERS_ENV: str(folder / "trusted-signers"),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        keys.create_key("tests")
    return environment


@pytest.fixture(autouse=True)
def isolated_tracking(tmp_path, monkeypatch, signing_keys):
    """Point MLflow at an empty store in the test's temporary folder, never the project's,
    and sign and verify models with the test session's key.

    The store is only created if the test uses MLflow; use `tracking_store` for a ready one.
    """
    database = tmp_path / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store.sqlite_uri(database))
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    for name, value in signing_keys.items():
        monkeypatch.setenv(name, value)
    yield database
    _forget_mlflow_state()


def _forget_mlflow_state():
    """End any active run and forget the store URI MLflow keeps in memory."""
    mlflow = sys.modules.get("mlflow")
    if mlflow is not None:
        mlflow.end_run()
        mlflow.set_tracking_uri(None)


@pytest.fixture(scope="session")
def initialised_store(request, tmp_path_factory):
    """An empty store to copy: creating the schema takes seconds, so it is done once.

    The store is kept in pytest's cache folder (.pytest_cache) for the installed MLflow
    version, so later sessions skip its creation too (unless the cache is disabled with
    ``-p no:cacheprovider``: then it lives for this session only).
    """
    import mlflow

    folder = f"mlflow-{mlflow.__version__}-empty-store"
    cache = getattr(request.config, "cache", None)
    cache_dir = cache.mkdir(folder) if cache else tmp_path_factory.mktemp(folder)
    cached = cache_dir / "mlflow.db"
    if not cached.exists():
        database = tmp_path_factory.mktemp("empty-store") / "mlflow.db"
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("MLFLOW_TRACKING_URI", store.sqlite_uri(database))
            store.configure()
            _forget_mlflow_state()
        shutil.copyfile(database, cached.with_suffix(".partial"))
        cached.with_suffix(".partial").replace(cached)  # complete or absent, never half-written
    return cached


@pytest.fixture
def tracking_store(isolated_tracking, initialised_store):
    """A ready, empty MLflow store for this test; MLflow is configured to use it."""
    shutil.copyfile(initialised_store, isolated_tracking)
    return store.configure()


@pytest.fixture
def dummy_dataset():
    return DummyDataset()


@pytest.fixture
def dummy_model():
    return DummyModel()


def make_config(*, margin: float = 0.0, split_seed: int = 7, rows: int = 60) -> ExperimentConfig:
    """An experiment config using the dummy blocks and the built-in classification evaluator.

    ``margin`` shifts the dummy model's threshold away from the best one (a worse model);
    promotions are decided on accuracy, which that shift changes.
    """
    return ExperimentConfig(
        experiment="dummy-experiment",
        registered_model="dummy-model",
        dataset=BlockSpec(type=import_path(DummyDataset), options={"rows": rows}),
        model=BlockSpec(type=import_path(DummyModel), options={"margin": margin}),
        evaluator=BlockSpec(type="classification"),
        split=SplitSpec(test_size=0.25, seed=split_seed),
        promotion=PromotionSpec(metric="accuracy", margin=0.01, resamples=200),
    )


def write_config(folder: Path, config: ExperimentConfig) -> Path:
    """Write a config as YAML, to run it through the command line."""
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config.to_dict()), encoding="utf-8")
    return path


@pytest.fixture
def dummy_config():
    return make_config()


class GrowingTable:
    """A labelled CSV file that grows by appended rows, as a project's data does.

    Rows have two numeric features, a colour and a 0/1 label that depends on all three.
    """

    def __init__(self, path: Path, seed: int = 0) -> None:
        self.path = path
        self.rng = np.random.default_rng(seed)

    def rows(
        self, count: int, *, shift: float = 0.0, colours=("red", "green", "blue"), labels=None
    ) -> pd.DataFrame:
        """New rows, not yet written; ``shift`` moves ``x1`` (drift)."""
        x1 = self.rng.normal(shift, 1.0, count)
        x2 = self.rng.normal(0.0, 1.0, count)
        colour = self.rng.choice(list(colours), size=count)
        label = x1 + 0.5 * x2 + (colour == "red") + self.rng.normal(0, 0.3, count) > 0.5
        frame = pd.DataFrame({"x1": x1, "x2": x2, "colour": colour, "label": label.astype(int)})
        if labels is not None:
            frame["label"] = labels
        return frame

    def append(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Append rows to the file (creating it), and return them."""
        frame.to_csv(self.path, mode="a", header=not self.path.exists(), index=False)
        return frame

    def batch(self, frame: pd.DataFrame, name: str) -> Path:
        """Write rows as a separate batch file, as new data arrives."""
        path = self.path.with_name(name)
        frame.to_csv(path, index=False)
        return path


def growing_config(path: Path, *, C: float = 1.0, **promotion) -> ExperimentConfig:  # noqa: N803
    """A config of a :class:`GrowingTable`: hash split, a scikit-learn pipeline, accuracy."""
    return ExperimentConfig(
        experiment="growing",
        registered_model="growing-model",
        dataset=BlockSpec("file", {"path": str(path), "target": "label"}),
        model=BlockSpec(
            "sklearn", {"estimator": import_path(mixed_types_pipeline), "params": {"C": C}}
        ),
        evaluator=BlockSpec("classification"),
        split=SplitSpec(test_size=0.25, seed=7),
        promotion=PromotionSpec(
            **{"metric": "accuracy", "margin": 0.0, "resamples": 200, **promotion}
        ),
    )


class RuleModel(Model):
    """Knows the rule behind a :class:`GrowingTable`'s labels; learns nothing.

    ``shift`` moves its threshold away from the best one (a worse model); ``sabotage`` names
    colours on whose rows it gets a fixed third of its answers wrong (a model worse on some
    slices).
    """

    permutation_importance = False  # a rule: nothing to learn about what it relies on

    def __init__(self, shift: float = 0.0, sabotage: list[str] | None = None) -> None:
        self.shift = shift
        self.sabotage = sabotage

    def fit(self, features: pd.DataFrame, target: pd.Series) -> RuleModel:
        return self

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        margin = features["x1"] + 0.5 * features["x2"] + (features["colour"] == "red") - 0.5
        positive = 1 / (1 + np.exp(-4 * (margin.to_numpy() - self.shift)))
        if self.sabotage:
            unlucky = np.modf(np.abs(features["x2"].to_numpy()) * 1000)[0] < 0.35
            wrong = features["colour"].isin(self.sabotage).to_numpy() & unlucky
            positive = np.where(wrong, 1 - positive, positive)
        return np.column_stack([1 - positive, positive])

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(features)[:, 1] > 0.5).astype(int)
