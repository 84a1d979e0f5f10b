"""Models: the scikit-learn wrapper, reproducibility, and storing models in MLflow."""

import mlflow
import numpy as np
import pytest
from conftest import DummyModel, import_path
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from {{ cookiecutter.module_name }}.models import (
    SklearnModel,
    load_model,
    pipelines,
)
from {{ cookiecutter.module_name }}.models.pipelines import QuantileClipper
from {{ cookiecutter.module_name }}.safety import UntrustedModelError
from {{ cookiecutter.module_name }}.tracking import store


def test_sklearn_model_builds_an_estimator_from_its_import_path(dummy_dataset):
    model = SklearnModel("sklearn.linear_model.LogisticRegression", {"C": 0.5})
    model.fit(dummy_dataset.features, dummy_dataset.target)

    assert model.estimator_.C == 0.5
    assert model.predict(dummy_dataset.features).shape == (60,)
    assert model.predict_proba(dummy_dataset.features).shape == (60, 2)
    assert model.get_params() == {
        "estimator": "sklearn.linear_model.LogisticRegression",
        "params": {"C": 0.5},
        "seed": 0,
    }


def test_unset_random_states_get_the_seed_so_training_is_reproducible(dummy_dataset):
    path = "sklearn.ensemble.RandomForestClassifier"
    first = SklearnModel(path, {"n_estimators": 5}).fit(
        dummy_dataset.features, dummy_dataset.target
    )
    again = SklearnModel(path, {"n_estimators": 5}).fit(
        dummy_dataset.features, dummy_dataset.target
    )

    assert first.estimator_.random_state == 0
    np.testing.assert_array_equal(
        first.predict_proba(dummy_dataset.features), again.predict_proba(dummy_dataset.features)
    )


def test_models_without_scores_return_none(dummy_dataset):
    model = SklearnModel("sklearn.svm.LinearSVC").fit(dummy_dataset.features, dummy_dataset.target)
    assert model.predict_proba(dummy_dataset.features) is None


def test_project_transformer_is_logged_with_skops_and_loads_back(tracking_store, dummy_dataset):
    model = SklearnModel(import_path(pipelines.logistic_regression))
    model.fit(dummy_dataset.features, dummy_dataset.target)

    with mlflow.start_run(experiment_id=store.set_experiment("models")):
        info = model.log("model", input_example=dummy_dataset.features.head(2))
    loaded = SklearnModel.load(info.model_uri)

    flavor = mlflow.models.get_model_info(info.model_uri).flavors["sklearn"]
    assert flavor["serialization_format"] == "skops"
    assert any(name.endswith("QuantileClipper") for name in flavor["skops_trusted_types"])
    assert isinstance(loaded.estimator_.steps[0][1], QuantileClipper)
    np.testing.assert_array_equal(
        loaded.predict_proba(dummy_dataset.features), model.predict_proba(dummy_dataset.features)
    )


def test_estimators_skops_cannot_store_fall_back_to_cloudpickle(tracking_store, dummy_dataset):
    pipeline = make_pipeline(FunctionTransformer(lambda x: 2 * x), LogisticRegression())
    model = SklearnModel(pipeline).fit(dummy_dataset.features, dummy_dataset.target)

    with mlflow.start_run(experiment_id=store.set_experiment("models")):
        info = model.log("model")
    with pytest.raises(UntrustedModelError, match="--trust-pickle"):
        load_model(info.model_uri)  # a pickle is only loaded when trusted
    loaded = load_model(info.model_uri, trust_pickle=True)

    flavor = mlflow.models.get_model_info(info.model_uri).flavors["sklearn"]
    assert flavor["serialization_format"] == "cloudpickle"
    np.testing.assert_array_equal(
        loaded.predict(dummy_dataset.features), model.predict(dummy_dataset.features)
    )


def test_custom_model_round_trips_through_pyfunc(tracking_store, dummy_dataset, dummy_model):
    dummy_model.fit(dummy_dataset.features, dummy_dataset.target)

    with mlflow.start_run(experiment_id=store.set_experiment("models")):
        info = dummy_model.log("model")
    with pytest.raises(UntrustedModelError, match="trust_pickle: true"):
        load_model(info.model_uri)
    loaded = load_model(info.model_uri, trust_pickle=True)

    assert isinstance(loaded, DummyModel)
    assert loaded.threshold_ == dummy_model.threshold_


def test_default_get_params_reads_constructor_arguments():
    assert DummyModel(margin=0.2).get_params() == {"margin": 0.2}
    assert repr(DummyModel(margin=0.2)) == "DummyModel(margin=0.2)"


def test_estimator_path_must_build_an_estimator():
    with pytest.raises(TypeError, match="without a fit"):
        SklearnModel("builtins.dict")


def test_hyperparameters_hold_every_setting_defaults_included():
    model = SklearnModel(
        "sklearn.ensemble.RandomForestRegressor", params={"n_estimators": 5}, seed=11
    )
    settings = model.hyperparameters()
    assert settings["n_estimators"] == 5
    assert settings["random_state"] == 11  # the run's seed
    assert settings["criterion"] == "squared_error"  # a default the config never named
    assert DummyModel(margin=0.5).hyperparameters() == {"margin": 0.5}
