"""Models and configs planted by anyone with write access to the store never run their code.

The corpus is real: each payload creates a file when loaded the way it was designed for
(``test_the_payloads_are_live``). Each planted model is then given to every command that
loads a model, which must refuse it, with one ``error:`` line, before the payload runs.
"""

import dataclasses
import io
import json
import os
import zipfile
from pathlib import Path

import cloudpickle
import mlflow
import pytest
import yaml
from conftest import DummyDataset, make_config, write_config
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from model_signing import signing

from {{ cookiecutter.module_name }} import cli, provenance, signatures
from {{ cookiecutter.module_name }}.config import BlockSpec
from {{ cookiecutter.module_name }}.paths import PROJECT_ROOT
from {{ cookiecutter.module_name }}.tracking import registry, store
from {{ cookiecutter.module_name }}.workflows import serve as serve_workflow
from {{ cookiecutter.module_name }}.workflows.promote import promote
from {{ cookiecutter.module_name }}.workflows.train import train

# Whole workflows against a real store: `make test-all`, not the fast `make test`.
pytestmark = pytest.mark.slow

TREE = BlockSpec("sklearn", {"estimator": "sklearn.tree.DecisionTreeClassifier"})
CONFIG = dataclasses.replace(make_config(rows=200), model=TREE)
MODEL = CONFIG.registered_model
LOADING_COMMANDS = ("evaluate", "promote", "predict", "monitor", "serve")
REFUSED = cli.ExitStatus.REFUSED


class PicklePayload:
    """What an attacker pickles: unpickling it creates ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def hostile_skops(marker: Path) -> bytes:
    """A skops file that builds the project's own SklearnModel with an attacker's arguments.

    skops rebuilds some objects by calling the class their node names with the arguments
    written in the file (``ConstructorFromReduceNode``): ``SklearnModel("os.system",
    {"command": ...})`` imports and calls ``os.system``. A loader that trusts every class of
    the project's package (as this project's once did) runs it.
    """
    import skops.io

    call = skops.io.dumps(("os.system", {"command": f"touch {marker}"}))
    arguments = json.loads(zipfile.ZipFile(io.BytesIO(call)).read("schema.json"))
    schema = {
        "__class__": "SklearnModel",
        "__module__": "{{ cookiecutter.module_name }}.models.sklearn",
        "__loader__": "ConstructorFromReduceNode",
        "content": {
            key: value
            for key, value in arguments.items()
            if key not in ("protocol", "_skops_version")
        },
        "protocol": arguments["protocol"],
        "_skops_version": arguments["_skops_version"],
    }
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as written:
        written.writestr("schema.json", json.dumps(schema))
    return output.getvalue()


def attacker_key(folder: Path) -> Path:
    """A private key nobody committed to trusted-signers/."""
    key = ec.generate_private_key(ec.SECP256R1())
    path = folder / "attacker.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def skops_file(folder: Path) -> Path:
    return (
        folder
        / yaml.safe_load((folder / "MLmodel").read_text())["flavors"]["sklearn"]["pickled_model"]
    )


def plant_hostile_skops(folder: Path, marker: Path) -> None:
    skops_file(folder).write_bytes(hostile_skops(marker))


def plant_pickle_behind_the_sklearn_flavor(folder: Path, marker: Path) -> None:
    """Keep the sklearn flavor; make the python_function flavor (what servers load) a pickle."""
    with (folder / "python_model.pkl").open("wb") as file:
        cloudpickle.dump(PicklePayload(marker), file)
    meta = yaml.safe_load((folder / "MLmodel").read_text())
    meta["flavors"]["python_function"] = {
        "loader_module": "mlflow.pyfunc.model",
        "python_model": "python_model.pkl",
        "cloudpickle_version": cloudpickle.__version__,
        "python_version": meta["flavors"]["python_function"]["python_version"],
    }
    (folder / "MLmodel").write_text(yaml.safe_dump(meta))


def unsign(folder: Path) -> None:
    (folder / signatures.SIGNATURE_FILE).unlink()


def sign_as_attacker(folder: Path) -> None:
    key = attacker_key(folder.parent)
    config = signing.Config().use_elliptic_key_signer(private_key=key)
    (folder / signatures.SIGNATURE_FILE).unlink()
    config.set_hashing_config(signatures._hashing_config()).sign(
        folder, folder / signatures.SIGNATURE_FILE
    )


CASES = {
    # name: (how the model folder is changed, how its signature is then left)
    "hostile skops, unsigned": (plant_hostile_skops, unsign),
    "hostile skops, original signature (tampered)": (plant_hostile_skops, lambda folder: None),
    "hostile skops, signed by an unknown key": (plant_hostile_skops, sign_as_attacker),
    "pickled pyfunc behind the sklearn flavor, tampered": (
        plant_pickle_behind_the_sklearn_flavor,
        lambda folder: None,
    ),
    "pickled pyfunc behind the sklearn flavor, unsigned": (
        plant_pickle_behind_the_sklearn_flavor,
        unsign,
    ),
}


@pytest.fixture
def project(tracking_store, tmp_path, monkeypatch):
    """A champion trained and promoted as usual, a config file and a batch of labelled rows."""
    train(CONFIG)
    promote(CONFIG)
    data = DummyDataset(rows=200)
    batch = tmp_path / "batch.csv"
    data.features.assign(label=data.target).head(40).to_csv(batch, index=False)
    served = []
    monkeypatch.setattr(serve_workflow, "serve", lambda stored, *a: served.append(stored))
    return {
        "config": str(write_config(tmp_path, CONFIG)),
        "batch": batch,
        "output": tmp_path / "predictions.csv",
        "served": served,
    }


def plant(folder: Path, run_tags: dict[str, str] | None = None) -> str:
    """Register a model folder as a new version, as anyone with write access can, and point
    both aliases at it; return its version number."""
    with mlflow.start_run(experiment_id=store.set_experiment("attacker"), tags=run_tags) as run:
        mlflow.log_artifacts(str(folder), "model")
    version = str(mlflow.register_model(f"runs:/{run.info.run_id}/model", MODEL).version)
    for alias in (registry.CANDIDATE_ALIAS, registry.CHAMPION_ALIAS):
        registry.set_alias(MODEL, alias, version)
    return str(version)


def champion_files(tmp_path: Path) -> Path:
    local = mlflow.artifacts.download_artifacts(f"models:/{MODEL}/1", dst_path=str(tmp_path))
    folder = Path(local)
    (folder / "registered_model_meta").unlink(missing_ok=True)
    return folder


def run_command(command: str, project: dict, capsys) -> tuple[int, str]:
    arguments = {
        "evaluate": ["evaluate", project["config"]],
        "promote": ["promote", project["config"], "--version", "1"],
        "predict": [
            "predict",
            str(project["batch"]),
            project["config"],
            "--keep",
            "label",
            "--output",
            str(project["output"]),
            "--overwrite",
        ],
        "monitor": ["monitor", str(project["batch"]), project["config"]],
        "serve": ["serve", project["config"]],
    }[command]
    capsys.readouterr()  # what came before
    status = cli.main(arguments)
    return status, capsys.readouterr().err


def test_the_payloads_are_live(tmp_path):
    """Loaded as each payload was made to be loaded, every one of them runs."""
    import skops.io

    skops_marker, pickle_marker = tmp_path / "skops-ran", tmp_path / "pickle-ran"
    data = hostile_skops(skops_marker)
    with pytest.raises(TypeError, match="without a fit"):  # after the command ran
        skops.io.loads(data, trusted=skops.io.get_untrusted_types(data=data))
    cloudpickle.loads(cloudpickle.dumps(PicklePayload(pickle_marker)))

    assert skops_marker.exists()
    assert pickle_marker.exists()


@pytest.mark.parametrize("case", CASES)
def test_no_command_loads_a_planted_model(project, tmp_path, capsys, case):
    change, signature = CASES[case]
    marker = tmp_path / "the-payload-ran"
    folder = champion_files(tmp_path / "download")
    change(folder, marker)
    signature(folder)
    planted = plant(folder)

    for command in LOADING_COMMANDS:
        status, said = run_command(command, project, capsys)
        assert status == REFUSED, f"{command}: {said}"
        assert said.startswith("error: "), f"{command}: {said}"
        assert "Traceback" not in said
        assert f"models:/{MODEL}/{planted}" in said, f"{command}: {said}"
        assert not marker.exists(), f"{command} ran the payload of: {case}"
    assert project["served"] == []


def test_a_config_naming_other_code_is_never_built_from_the_store(project, tmp_path, capsys):
    """A forged training run whose logged config names os.system, with a forged commit tag."""
    marker = tmp_path / "the-payload-ran"
    hostile = CONFIG.to_dict() | {
        "model": {"type": "sklearn", "estimator": "os.system",
                  "params": {"command": f"touch {marker}"}},
    }  # fmt: skip
    commit = provenance.git_state(PROJECT_ROOT).commit or "0" * 40
    with mlflow.start_run(
        experiment_id=store.set_experiment(CONFIG.experiment),
        tags={"run_type": "train", provenance.COMMIT_TAG: commit},
    ) as run:
        mlflow.log_dict(hostile, "config.yaml")  # unsigned: nobody trusted wrote it
        mlflow.log_artifacts(str(champion_files(tmp_path / "download")), "model")  # a real model
    version = str(mlflow.register_model(f"runs:/{run.info.run_id}/model", MODEL).version)
    registry.set_alias(MODEL, registry.CHAMPION_ALIAS, version)

    monitor = ["monitor", str(project["batch"]), project["config"]]
    for arguments in (["reproduce", run.info.run_id], monitor):
        assert cli.main(arguments) == REFUSED
        said = capsys.readouterr().err
        assert "model.estimator=os.system" in said, said
        assert not marker.exists()
    # The other commands never build anything from a logged config: they use the file's.
    for command in ("evaluate", "predict"):
        run_command(command, project, capsys)
        assert not marker.exists()
