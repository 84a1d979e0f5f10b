"""A model planted in the registry by anyone with write access never runs its code here."""

import dataclasses

import mlflow
import pytest
from conftest import make_config, write_config
from sklearn.linear_model import LogisticRegression

from {{ cookiecutter.module_name }} import cli
from {{ cookiecutter.module_name }}.models import SklearnModel, load_model
from {{ cookiecutter.module_name }}.safety import UntrustedModelError
from {{ cookiecutter.module_name }}.tracking import registry, store
from {{ cookiecutter.module_name }}.workflows.evaluate import evaluate
from {{ cookiecutter.module_name }}.workflows.predict import predict
from {{ cookiecutter.module_name }}.workflows.promote import promote
from {{ cookiecutter.module_name }}.workflows.serve import serve_command
from {{ cookiecutter.module_name }}.workflows.train import train

CONFIG = make_config(rows=200)
UNTRUSTED = dataclasses.replace(CONFIG, trust_pickle=False)


class Payload(mlflow.pyfunc.PythonModel):
    """A "model" whose unpickling creates a file: what an attacker's code would do."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))

    def predict(self, context, model_input: list[str], params=None) -> list[str]:
        return model_input


@pytest.fixture
def planted(tracking_store, tmp_path):
    """A champion trained normally, then candidate and champion moved to a planted pickle."""
    train(CONFIG)
    promote(CONFIG)
    marker = tmp_path / "the-payload-ran"
    with mlflow.start_run(experiment_id=store.set_experiment("attacker")):
        info = mlflow.pyfunc.log_model(name="model", python_model=Payload(marker))
    version = registry.register(info.model_uri, "dummy-model")
    for alias in (registry.CANDIDATE_ALIAS, registry.CHAMPION_ALIAS):
        registry.set_alias("dummy-model", alias, version)
    assert not marker.exists()
    return marker


def test_no_command_unpickles_the_planted_model(planted, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text("x1,x2\n0.5,0.1\n")

    with pytest.raises(UntrustedModelError, match="runs whatever code"):
        evaluate(UNTRUSTED)
    with pytest.raises(UntrustedModelError):
        predict(UNTRUSTED, rows, output=tmp_path / "out.csv")
    with pytest.raises(UntrustedModelError):
        serve_command("models:/dummy-model@champion")
    config = str(write_config(tmp_path, UNTRUSTED))
    registry.set_alias("dummy-model", registry.CHAMPION_ALIAS, "1")  # planted challenger
    assert cli.main(["promote", config]) == cli.ExitStatus.REFUSED
    assert cli.main(["evaluate", config]) == cli.ExitStatus.REFUSED

    assert not planted.exists(), "the planted pickle ran"


def test_a_skops_model_with_a_foreign_type_is_refused(tracking_store, dummy_dataset, tmp_path):
    """skops' own list of trusted types comes from the model: it is not believed."""
    model = SklearnModel(LogisticRegression()).fit(dummy_dataset.features, dummy_dataset.target)
    model.estimator_.foreign_ = tmp_path  # a pathlib type: neither skops nor the project's
    with mlflow.start_run(experiment_id=store.set_experiment("models")):
        info = mlflow.sklearn.log_model(
            model.estimator_,
            name="model",
            serialization_format="skops",
            skops_trusted_types=["pathlib.PosixPath"],
        )
    with pytest.raises(UntrustedModelError, match="PosixPath"):
        load_model(info.model_uri)
