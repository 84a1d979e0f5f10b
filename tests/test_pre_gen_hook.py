"""Unit tests of the validation rules in hooks/pre_gen_project.py."""

from __future__ import annotations

from pathlib import Path

import pytest

GOOD = {"repo_name": "churn-model", "module_name": "churn_model", "python_version": "3.11"}


def test_good_answers_pass(pre_gen):
    assert pre_gen.validate(GOOD) == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("1model", "not a valid Python package name"),
        ("churn-model", "not a valid Python package name"),
        ("Churn", "not a valid Python package name"),
        ("", "not a valid Python package name"),
        ("class", "keyword"),
        ("json", "standard library"),
        ("statistics", "standard library"),
        ("mlflow", "depends on"),
        ("sklearn", "depends on"),
        ("test", "depends on"),
        ("tests", "depends on"),
    ],
)
def test_bad_module_names_are_named_with_a_good_example(pre_gen, name, reason):
    message = pre_gen.check_module_name(name)
    assert message is not None
    assert reason in message
    assert f"module_name {name!r}" in message
    assert "module_name=churn_model" in message


@pytest.mark.parametrize("name", ["churn_model", "forecast2", "_private_lab"])
def test_good_module_names(pre_gen, name):
    assert pre_gen.check_module_name(name) is None


@pytest.mark.parametrize(
    "name", ["", "my project", "a/b", "../escape", ".hidden", "-dash", "trailing-", "x?y"]
)
def test_bad_repo_names(pre_gen, name):
    message = pre_gen.check_repo_name(name)
    assert message is not None
    assert f"repo_name {name!r}" in message
    assert "repo_name=churn-model" in message


@pytest.mark.parametrize("name", ["churn-model", "Churn.Model", "m", "model_2"])
def test_good_repo_names(pre_gen, name):
    assert pre_gen.check_repo_name(name) is None


@pytest.mark.parametrize("version", ["3.9", "3.14", "2.7", "3", ""])
def test_unsupported_python_versions(pre_gen, version):
    message = pre_gen.check_python_version(version)
    assert message is not None
    assert f"python_version {version!r}" in message
    assert "3.10, 3.11, 3.12, 3.13" in message


def test_validate_reports_every_bad_field(pre_gen):
    errors = pre_gen.validate({"repo_name": "a b", "module_name": "json", "python_version": "3.9"})
    assert [error.split()[0] for error in errors] == [
        "repo_name",
        "module_name",
        "python_version",
    ]


def test_non_empty_target_is_refused(pre_gen, tmp_path: Path):
    assert pre_gen.check_target_is_empty(tmp_path) is None
    (tmp_path / "notes.txt").write_text("mine")
    message = pre_gen.check_target_is_empty(tmp_path)
    assert message is not None
    assert "not empty" in message


def test_main_exits_non_zero_and_prints_errors(pre_gen, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert pre_gen.main({**GOOD, "module_name": "yaml"}) == 1
    assert "ERROR: module_name 'yaml'" in capsys.readouterr().err
    assert pre_gen.main(GOOD) == 0
