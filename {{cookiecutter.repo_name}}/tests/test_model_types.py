"""Every kind of model trains, registers, loads verified and predicts: a round trip each.

Trees, boosting, imputers and column selectors, and the project's own Model classes, were
once refused by a list of trusted types; now a model loads because its signer is trusted,
whatever it holds. Each is trained by the train workflow (which reloads it before
registering), loaded from the registry as every command does, and used by predict.
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import DummyModel, MixedDataset, import_path, make_config, mixed_types_pipeline

from {{ cookiecutter.module_name }} import blocks
from {{ cookiecutter.module_name }}.config import BlockSpec, load_config
from {{ cookiecutter.module_name }}.tracking import model_store
from {{ cookiecutter.module_name }}.workflows import steps
from {{ cookiecutter.module_name }}.workflows.predict import predict
from {{ cookiecutter.module_name }}.workflows.promote import promote
from {{ cookiecutter.module_name }}.workflows.train import train

# Whole workflows against a real store: `make test-all`, not the fast `make test`.
pytestmark = pytest.mark.slow

DIABETES = BlockSpec("sklearn", {"name": "diabetes"})
MIXED = BlockSpec(import_path(MixedDataset))


def sklearn(estimator: str, **params) -> BlockSpec:
    return BlockSpec("sklearn", {"estimator": estimator, "params": params})


MODELS = {
    "RandomForestClassifier": (
        sklearn("sklearn.ensemble.RandomForestClassifier", n_estimators=20),
        None,
        None,
    ),
    "GradientBoostingClassifier": (
        sklearn("sklearn.ensemble.GradientBoostingClassifier", n_estimators=20),
        None,
        None,
    ),
    "HistGradientBoostingRegressor": (
        sklearn("sklearn.ensemble.HistGradientBoostingRegressor", max_iter=30),
        DIABETES,
        BlockSpec("regression"),
    ),
    "ColumnTransformer(SimpleImputer, OneHotEncoder, make_column_selector)": (
        sklearn(import_path(mixed_types_pipeline), C=0.5),
        MIXED,
        None,
    ),
    "a Model subclass of the project": (BlockSpec(import_path(DummyModel)), None, None),
}


@pytest.mark.parametrize("kind", MODELS)
def test_round_trip_train_register_load_predict(kind, tracking_store, tmp_path):
    model, dataset, evaluator = MODELS[kind]
    config = dataclasses.replace(
        make_config(rows=200),
        model=model,
        dataset=dataset or make_config(rows=200).dataset,
        evaluator=evaluator or BlockSpec("classification"),
        promotion=dataclasses.replace(
            make_config().promotion, metric=None if evaluator else "accuracy"
        ),
        split=make_config().split,
    )

    summary = train(config)
    stored = model_store.load(summary.registered_uri)  # as every command loads it
    rows = steps.held_out(config, blocks.build_dataset(config.dataset)).test_features
    rows.to_csv(tmp_path / "rows.csv", index=False)
    written = predict(
        config, tmp_path / "rows.csv", model_uri=summary.registered_uri, output=tmp_path / "p.csv"
    )

    assert stored.signer == "tests"
    assert stored.version == "1"
    predictions = pd.read_csv(written.output)["prediction"].to_numpy()
    np.testing.assert_allclose(predictions, stored.model.predict(rows))
    assert written.rows == len(rows)


@pytest.mark.parametrize("name", ["classification", "regression"])
def test_every_bundled_config_trains_and_promotes(name, tracking_store):
    config = load_config(name)

    summary = train(config)
    decision = promote(config)

    assert summary.registered_uri == f"models:/{config.registered_model}/1"
    assert decision.promoted
    assert decision.run is not None
