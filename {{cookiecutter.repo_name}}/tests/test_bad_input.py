"""Bad input of every kind: exit status 2 and one ``error:`` line that names it, never a traceback.

One table, one row per case: the files the case writes, the command line, and words the
message must hold. The commands run against one store holding a trained and promoted
scikit-learn champion (built once for the module).
"""

import dataclasses
import shutil

import pandas as pd
import pytest
from conftest import make_config, write_config

from {{ cookiecutter.module_name }} import cli
from {{ cookiecutter.module_name }}.config import BlockSpec
from {{ cookiecutter.module_name }}.tracking import store
from {{ cookiecutter.module_name }}.workflows.promote import promote
from {{ cookiecutter.module_name }}.workflows.train import train

# Commands on a trained and promoted champion, like test_predict.py: `make test-all`.
pytestmark = pytest.mark.slow

CONFIG = dataclasses.replace(
    make_config(rows=120),
    model=BlockSpec("sklearn", {"estimator": "sklearn.linear_model.LogisticRegression"}),
)
ROWS = "x1,x2\n0.1,0.2\n-0.3,0.4\n"
LABELLED = "x1,x2,label\n0.1,0.2,1\n-0.3,0.4,0\n0.5,-0.1,1\n"
EMPTY_PARQUET = pd.DataFrame({"x1": pd.Series(dtype=float), "x2": pd.Series(dtype=float)})

CASES = {
    # case: (files to write, command line, words the message holds)
    "predict: an empty CSV file": ({"in.csv": ""}, ["predict", "in.csv"], "is empty"),
    "predict: a CSV file of garbage": (
        {"in.csv": b"\x00\xff\xfe\x81garbage\x00\n\xff"},
        ["predict", "in.csv"],
        "is not a readable CSV table",
    ),
    "predict: a header-only CSV file": ({"in.csv": "x1,x2\n"}, ["predict", "in.csv"], "no rows"),
    "predict: an empty Parquet file": (
        {"in.parquet": b""},
        ["predict", "in.parquet"],
        "is not a readable Parquet table",
    ),
    "predict: a Parquet file of garbage": (
        {"in.parquet": b"PAR1 not really"},
        ["predict", "in.parquet"],
        "is not a readable Parquet table",
    ),
    "predict: a header-only Parquet file": (
        {"in.parquet": EMPTY_PARQUET},
        ["predict", "in.parquet"],
        "no rows",
    ),
    "predict: a .txt file": ({"in.txt": ROWS}, ["predict", "in.txt"], "unsupported file type"),
    "predict: a missing input file": ({}, ["predict", "nowhere.csv"], "No input file"),
    "predict: missing values the model refuses": (
        {"in.csv": "x1,x2\n0.1,\n"},
        ["predict", "in.csv"],
        "cannot score rows 1-1",
    ),
    "predict: text where the model expects numbers": (
        {"in.csv": "x1,x2\nabc,0.2\n"},
        ["predict", "in.csv"],
        "'x1' is",
    ),
    "predict: --output is the input": (
        {"in.csv": ROWS},
        ["predict", "in.csv", "--output", "in.csv", "--overwrite"],
        "is the input file",
    ),
    "predict: a model that does not exist": (
        {"in.csv": ROWS},
        ["predict", "in.csv", "--model-uri", "models:/no-such-model/1"],
        "does not exist",
    ),
    "evaluate: an alias that does not exist": (
        {},
        ["evaluate", "--model-uri", "models:/dummy-model@nope"],
        "no 'nope' version",
    ),
    "evaluate: a version that does not exist": (
        {},
        ["evaluate", "--model-uri", "models:/dummy-model/99"],
        "has no version 99",
    ),
    "monitor: an empty CSV file": ({"b.csv": ""}, ["monitor", "b.csv"], "is empty"),
    "monitor: a header-only CSV file": (
        {"b.csv": "x1,x2,label\n"},
        ["monitor", "b.csv"],
        "0 row(s)",
    ),
    "monitor: a single row": (
        {"b.csv": "x1,x2,label\n0.1,0.2,1\n"},
        ["monitor", "b.csv"],
        "at least 2",
    ),
    "monitor: text where the model was trained on numbers": (
        {"b.csv": "x1,x2,label\nabc,0.2,1\ndef,0.3,0\n"},
        ["monitor", "b.csv"],
        "holds text",
    ),
    "monitor: a missing feature": (
        {"b.csv": "x1,label\n0.1,1\n0.2,0\n"},
        ["monitor", "b.csv"],
        "lacks the model's feature column(s) ['x2']",
    ),
    "train: a parameter value the estimator refuses (C=abc)": (
        {},
        ["train", "model.params.C=abc"],
        "Bad model.params",
    ),
    "train: an unknown key": ({}, ["train", "modle.params.C=1"], "Unknown key(s)"),
    "train: an override without =": ({}, ["train", "model.params.C"], "KEY=VALUE"),
    "train: a config with a YAML syntax error": (
        {"broken.yaml": "experiment: [unclosed\n  dataset: {type: sklearn"},
        ["train", "broken.yaml"],
        "is not valid YAML, line",
    ),
    "train: a config file that does not exist": ({}, ["train", "nowhere.yaml"], "No config"),
    "train: a dataset file that does not exist": (
        {},
        ["train", "dataset={type: file, path: nowhere.csv, target: label}"],
        "does not exist",
    ),
    "train: an empty dataset file": (
        {"data.csv": "x1,label\n"},
        ["train", "dataset={type: file, path: DATA, target: label}"],
        "no rows to learn from",
    ),
    "promote: --version abc": ({}, ["promote", "--version", "abc"], "--version must be"),
    "promote: a version that does not exist": (
        {},
        ["promote", "--version", "99"],
        "no version 99",
    ),
    "reproduce: a malformed run id": ({}, ["reproduce", "not a run id!"], "No run"),
    "reproduce: a run that does not exist": ({}, ["reproduce", "0" * 32], "No run"),
}
# Commands that take the config file: it comes right after the command (and its input).
WITH_CONFIG = ("predict", "evaluate", "monitor", "train", "promote")


@pytest.fixture(scope="module")
def champion_store(tmp_path_factory, signing_keys, initialised_store):
    """A store with a scikit-learn champion, built once for every case of the table."""
    folder = tmp_path_factory.mktemp("bad-input-store")
    shutil.copyfile(initialised_store, folder / "mlflow.db")
    uri = store.sqlite_uri(folder / "mlflow.db")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"MLFLOW_TRACKING_URI": uri, **signing_keys}.items():
            patch.setenv(name, value)
        store.configure()
        train(CONFIG)
        promote(CONFIG)
    return uri


def write(folder, files):
    for name, content in files.items():
        path = folder / name
        if isinstance(content, pd.DataFrame):
            content.to_parquet(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


@pytest.mark.parametrize("case", CASES)
def test_bad_input_gets_one_error_line(case, champion_store, tmp_path, monkeypatch, capsys):
    files, arguments, words = CASES[case]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", champion_store)
    monkeypatch.chdir(tmp_path)
    write(tmp_path, files)
    config = str(write_config(tmp_path, CONFIG))
    arguments = [argument.replace("DATA", str(tmp_path / "data.csv")) for argument in arguments]
    if arguments[0] in WITH_CONFIG and not any(a.endswith(".yaml") for a in arguments):
        position = 2 if arguments[0] in ("predict", "monitor") else 1
        arguments.insert(position, config)
    capsys.readouterr()

    status = cli.main(arguments)

    said = capsys.readouterr().err
    assert status == cli.ExitStatus.REFUSED, said
    assert said.startswith("error: "), said
    assert len(said.strip().splitlines()) == 1, said
    assert words in said, said
    assert "Traceback" not in said


def test_the_table_covers_every_command_that_reads_files_or_stores():
    assert {arguments[0] for _, arguments, _ in CASES.values()} == {
        "predict",
        "evaluate",
        "monitor",
        "train",
        "promote",
        "reproduce",
    }
