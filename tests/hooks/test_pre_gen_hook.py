"""Unit tests of the validation rules in hooks/pre_gen_project.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.combinations import DECLARED

PYTHONS = DECLARED["python_version"]
GOOD = {
    "project_name": "Churn Model",
    "repo_name": "churn-model",
    "module_name": "churn_model",
    "author_name": "Ada Lovelace",
    "author_email": "ada@example.com",
    "description": "Predicts customer churn.",
    "python_version": "3.11",
    "_dependencies": DECLARED["_dependencies"],
}


@pytest.fixture(scope="module")
def reserved(pre_gen):
    return pre_gen.reserved_module_names(DECLARED["_dependencies"])


def test_good_answers_pass(pre_gen):
    assert pre_gen.validate(GOOD, PYTHONS) == []


@pytest.mark.parametrize(
    ("requirement", "name"),
    [
        ("scikit-learn>=1.5,<2", "sklearn"),
        ("python-dotenv>=1.0,<2", "dotenv"),
        ("PyYAML>=6.0,<7", "yaml"),
        ("pre-commit>=4.0,<5", "pre_commit"),
        ("pre_commit.hooks>=5.0", "pre_commit_hooks"),
        ("ipykernel>=6.29,<8", "ipykernel"),
        ("mlflow[extras]>=3; python_version >= '3.10'", "mlflow"),
    ],
)
def test_import_name_of_a_requirement(pre_gen, requirement, name):
    assert pre_gen.import_name(requirement) == name


def test_every_dependency_and_the_layout_are_reserved(pre_gen, reserved):
    dependencies = [r for group in DECLARED["_dependencies"].values() for r in group]
    assert dependencies, "cookiecutter.json lists no dependencies"
    assert {pre_gen.import_name(r) for r in dependencies} <= reserved
    assert {"src", "test", "tests", "scipy", "skops", "nbformat"} <= reserved


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
def test_bad_module_names_are_named_with_a_good_example(pre_gen, reserved, name, reason):
    message = pre_gen.check_module_name(name, reserved)
    assert message is not None
    assert reason in message
    assert f"module_name {name!r}" in message
    assert "module_name=churn_model" in message


@pytest.mark.parametrize("name", ["churn_model", "forecast2", "_private_lab"])
def test_good_module_names(pre_gen, reserved, name):
    assert pre_gen.check_module_name(name, reserved) is None


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


def minor(version: str) -> int:
    return int(version.split(".")[1])


IN_ORDER = sorted(PYTHONS, key=minor)
# Just below and just above the declared range, and versions that are not versions.
UNSUPPORTED = [f"3.{minor(IN_ORDER[0]) - 1}", f"3.{minor(IN_ORDER[-1]) + 1}", "2.7", "3", ""]


@pytest.mark.parametrize("version", UNSUPPORTED)
def test_unsupported_python_versions(pre_gen, version):
    message = pre_gen.check_python_version(version, PYTHONS)
    assert message is not None
    assert f"python_version {version!r}" in message
    assert ", ".join(IN_ORDER) in message  # the choices, oldest first


@pytest.mark.parametrize("version", PYTHONS)
def test_every_declared_python_is_supported(pre_gen, version):
    assert pre_gen.check_python_version(version, PYTHONS) is None


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("author_name", "Ada\nLovelace", "control character ('\\n')"),
        ("description", "Line one.\r\nLine two.", "control character ('\\r')"),
        ("description", "Trailing newline\n", "control character"),
        ("project_name", "Tab\tseparated", "control character ('\\t')"),
        ("author_name", "Ada\x7f", "control character ('\\x7f')"),
        ("author_name", "Ada\x85", "control character"),
        ("description", "One\u2028two", "line separator"),
        ("description", "One\u2029two", "paragraph separator"),
        ("project_name", "Bad \udcff byte", "lone surrogate"),
        ("project_name", "", "is empty"),
        ("project_name", "   ", "is empty"),
        ("author_name", "", "is empty"),
    ],
)
def test_free_text_must_be_one_non_empty_line(pre_gen, field, value, reason):
    message = pre_gen.check_free_text(field, value)
    assert message is not None
    assert message.startswith(f"{field} {value!r} ")
    assert reason in message
    assert f"Example of a good one: {field}=" in message
    assert len(message.splitlines()) == 1


@pytest.mark.parametrize(
    "value",
    [
        "C:\\path\\to",
        "trailing backslash \\",
        'Zoë "Z" O\'Brien',
        "#1 `model` <b>*bold*</b> [link](x) | pipe",
        "{{ not rendered again }} {% raw %}",
        "emoji \U0001f600 and \u00a0 nbsp, zero\u200bwidth, \ufeff bom",
        " leading and trailing spaces ",
    ],
)
def test_free_text_may_hold_any_printable_character(pre_gen, value):
    for field in pre_gen.FREE_TEXT_EXAMPLES:
        assert pre_gen.check_free_text(field, value) is None


@pytest.mark.parametrize("field", ["author_email", "description"])
def test_email_and_description_may_be_empty(pre_gen, field):
    assert pre_gen.check_free_text(field, "") is None
    assert pre_gen.validate({**GOOD, field: ""}, PYTHONS) == []


@pytest.mark.parametrize(
    "email",
    [
        "notanemail",
        "ada@example",
        "@example.com",
        "ada@",
        "ada lovelace@example.com",
        "ada@@example.com",
        "ada@example.com, bob@example.com",
        "Ada <ada@example.com>",
        'ada"@example.com',
        "zoë@example.com",
        "ada@example..com",
    ],
)
def test_bad_emails_are_refused(pre_gen, email):
    message = pre_gen.check_author_email(email)
    assert message is not None
    assert message.startswith(f"author_email {email!r} is not a usable e-mail address")
    assert "Example of a good one: author_email=ada@example.com" in message
    assert len(message.splitlines()) == 1


@pytest.mark.parametrize(
    "email",
    ["ada@example.com", "first.last+ml@sub.example.co.uk", '"ada lovelace"@example.com', ""],
)
def test_good_emails_pass(pre_gen, email):
    assert pre_gen.check_author_email(email) is None


def test_validate_reports_every_bad_field(pre_gen):
    errors = pre_gen.validate(
        {
            **GOOD,
            "repo_name": "a b",
            "module_name": "json",
            "python_version": "3.9",
            "project_name": "",
            "author_name": "a\nb",
            "author_email": "notanemail",
            "description": "x\ty",
        },
        PYTHONS,
    )
    assert [error.split()[0] for error in errors] == [
        "repo_name",
        "module_name",
        "python_version",
        "project_name",
        "author_name",
        "description",
        "author_email",
    ]


def test_non_empty_target_is_refused(pre_gen, tmp_path: Path):
    assert pre_gen.check_target_is_empty(tmp_path) is None
    (tmp_path / "notes.txt").write_text("mine")
    message = pre_gen.check_target_is_empty(tmp_path)
    assert message is not None
    assert "not empty" in message


def test_main_exits_non_zero_and_prints_errors(pre_gen, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert pre_gen.main({**GOOD, "module_name": "yaml"}, PYTHONS) == 1
    assert "ERROR: module_name 'yaml'" in capsys.readouterr().err
    assert pre_gen.main(GOOD, PYTHONS) == 0
