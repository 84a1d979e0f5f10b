"""Models: the scikit-learn wrapper, reproducibility, and storing models in MLflow."""

import subprocess
import sys

import mlflow
import numpy as np
import pytest
from conftest import DummyModel, import_path
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from {{ cookiecutter.module_name }}.config import ConfigError
from {{ cookiecutter.module_name }}.models import SklearnModel, pipelines
from {{ cookiecutter.module_name }}.models.pipelines import QuantileClipper
from {{ cookiecutter.module_name }}.tracking import flavors, model_store, store


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


def test_a_bad_parameter_value_is_a_config_error(dummy_dataset):
    model = SklearnModel("sklearn.linear_model.LogisticRegression", {"C": "abc"})
    with pytest.raises(ConfigError, match=r"Bad model\.params.*'C'"):
        model.fit(dummy_dataset.features, dummy_dataset.target)


def log(model, features):
    """Log a fitted model as train does, in a run of its own; return its model URI."""
    with mlflow.start_run(experiment_id=store.set_experiment("models")):
        return model_store.log_model(model, features, model.predict(features)).model_uri


def test_project_transformer_is_logged_with_skops_signed_and_loads_back(
    tracking_store, dummy_dataset
):
    model = SklearnModel(import_path(pipelines.logistic_regression))
    model.fit(dummy_dataset.features, dummy_dataset.target)

    uri = log(model, dummy_dataset.features)
    loaded = model_store.check_reloads(uri, model, dummy_dataset.features)

    assert loaded.flavor == "sklearn"
    assert loaded.signer == "tests"
    assert loaded.metadata.flavors["sklearn"]["serialization_format"] == "skops"
    assert isinstance(loaded.model.estimator_.steps[0][1], QuantileClipper)
    assert loaded.input_names == ["x1", "x2"]


def test_a_numpy_ufunc_in_a_pipeline_round_trips_with_skops(tracking_store, dummy_dataset):
    # skops trusts no type by default here (see the next test): a ufunc is then loaded
    # because the verified file names it, as every other type it holds.
    pipeline = make_pipeline(FunctionTransformer(np.abs), LogisticRegression())
    model = SklearnModel(import_path(pipelines.logistic_regression))
    model.estimator_ = pipeline.fit(dummy_dataset.features, dummy_dataset.target)

    loaded = model_store.check_reloads(
        log(model, dummy_dataset.features), model, dummy_dataset.features
    )

    assert loaded.metadata.flavors["sklearn"]["serialization_format"] == "skops"
    assert loaded.model.estimator_.steps[0][1].func is np.abs


@pytest.mark.slow  # a fresh interpreter: skops is imported once per process
def test_skops_is_imported_without_its_default_lists_and_leaves_nothing_patched():
    code = (
        "import mlflow\n"
        "from {{ cookiecutter.module_name }}.tracking import skops_import\n"
        "skops_import.skops_io()\n"
        "import sklearn.utils, skops.io._utils as utils, skops.io._trusted_types as lists\n"
        "print(len(lists.SKLEARN_ESTIMATOR_TYPE_NAMES), len(lists.NUMPY_UFUNC_TYPE_NAMES),"
        " len(lists.SCIPY_UFUNC_TYPE_NAMES), sklearn.utils.all_estimators.__name__,"
        " utils.get_public_type_names.__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == [
        "0",
        "0",
        "0",
        "all_estimators",
        "get_public_type_names",
    ]


def test_estimators_skops_cannot_store_are_pickled_signed_and_load(tracking_store, dummy_dataset):
    pipeline = make_pipeline(FunctionTransformer(lambda x: 2 * x), LogisticRegression())
    model = SklearnModel(pipeline).fit(dummy_dataset.features, dummy_dataset.target)

    uri = log(model, dummy_dataset.features)
    loaded = model_store.check_reloads(uri, model, dummy_dataset.features)

    assert loaded.metadata.flavors["sklearn"]["serialization_format"] == "cloudpickle"
    assert loaded.signer == "tests"  # signed: no --trust-pickle needed


def test_custom_model_round_trips_through_pyfunc(tracking_store, dummy_dataset, dummy_model):
    dummy_model.fit(dummy_dataset.features, dummy_dataset.target)

    loaded = model_store.load(log(dummy_model, dummy_dataset.features))

    assert loaded.flavor == "python_function"
    assert isinstance(loaded.model, DummyModel)
    assert loaded.model.threshold_ == dummy_model.threshold_


def test_a_model_class_picks_its_flavor_from_the_table(monkeypatch, dummy_model):
    assert flavors.flavor_of(SklearnModel("sklearn.svm.SVC")).name == "sklearn"
    assert flavors.flavor_of(dummy_model).name == "python_function"
    special = flavors.Flavor("python_function", lambda model: (None, {}), lambda path, conf: None)
    monkeypatch.setitem(flavors.FLAVORS, DummyModel, special)
    assert flavors.flavor_of(dummy_model) is special


def test_a_model_that_predicts_differently_once_loaded_is_caught(tracking_store, dummy_dataset):
    model = DummyModel().fit(dummy_dataset.features, dummy_dataset.target)
    uri = log(model, dummy_dataset.features)
    model.threshold_ += 10  # the trained object no longer matches what was stored

    with pytest.raises(model_store.ModelDoesNotReloadError, match="predicts differently"):
        model_store.check_reloads(uri, model, dummy_dataset.features)


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
