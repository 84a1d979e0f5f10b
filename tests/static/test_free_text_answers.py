"""Any free-text answer bakes a project whose files all parse, or is refused cleanly.

Property-based, per environment manager: hypothesis draws the free-text answers
(project_name, author_name, author_email, description) from arbitrary text. The rule
(README, "Free-text answers"): an answer is one line of printable text, so control
characters (tab and line breaks included), lone surrogates and the Unicode line and
paragraph separators are refused; project_name and author_name must not be blank; the
e-mail is empty or one address. Everything else is accepted and must read back exactly
from pyproject.toml and the recorded answers, with every TOML, YAML, JSON, notebook and
Python file parsing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import unicodedata
from email.headerregistry import Address
from pathlib import Path

import pytest
from cookiecutter.environment import StrictEnvironment
from cookiecutter.exceptions import FailedHookException
from cookiecutter.prompt import render_variable
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from testkit.baking import bake
from testkit.combinations import OPTIONS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

FIELDS = ("project_name", "author_name", "author_email", "description")
REFUSED_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}
JINJA_MARKERS = ("{{", "{%", "{#")

TRICKY = [*"\\\"'`#{}$<>[]|*_:-= ", "\U0001f600", "\u00a0", "\ufeff", "\ufffe", "é"]
REFUSED = ["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\udcff"]
PRINTABLE = st.text(
    st.characters(exclude_categories=tuple(REFUSED_CATEGORIES)) | st.sampled_from(TRICKY),
    max_size=40,
)
ANYTHING = st.text(
    st.characters(exclude_categories=()) | st.sampled_from(TRICKY + REFUSED), max_size=40
)
EMAILS = st.emails() | st.sampled_from(
    ["", '"quoted \\\\ local"@example.com', '"a\\"b"@example.com', "notanemail", "a@b"]
)


def no_jinja(text: str) -> bool:
    """cookiecutter renders answers given with --no-input as Jinja: not the template's text."""
    return not any(marker in text for marker in JINJA_MARKERS)


@st.composite
def free_text_answers(draw: st.DrawFn) -> dict[str, str]:
    """Mostly printable answers (so most bakes go through), sometimes one arbitrary one."""
    answers = {field: draw(PRINTABLE.filter(no_jinja)) for field in FIELDS}
    answers["author_email"] = draw(EMAILS.filter(no_jinja))
    if draw(st.integers(0, 3)) == 0:
        answers[draw(st.sampled_from(FIELDS))] = draw(ANYTHING.filter(no_jinja))
    return answers


def as_cookiecutter_passes_it(text: str) -> str:
    """The value cookiecutter hands on for an answer given as extra context (rendered once)."""
    return render_variable(StrictEnvironment(), text, {})


def allowed(field: str, value: str) -> bool:
    """The documented rule for one free-text answer."""
    if any(unicodedata.category(character) in REFUSED_CATEGORIES for character in value):
        return False
    if field in ("project_name", "author_name") and not value.strip():
        return False
    if field == "author_email" and value:
        try:
            address = Address(addr_spec=value)
        except Exception:
            return False
        return bool(address.username) and "." in address.domain.strip(".")
    return True


@pytest.fixture(scope="module")
def outside_git(tmp_path_factory) -> Path:
    """A folder inside a git work tree: the post-gen hook then skips `git init` (faster)."""
    root = tmp_path_factory.mktemp("free-text")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


@pytest.mark.parametrize("manager", OPTIONS["environment_manager"])
def test_free_text_answers_bake_parseable_files_or_are_refused(manager, outside_git, capfd):
    @settings(
        max_examples=20,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(answers=free_text_answers(), license_=st.sampled_from(OPTIONS["open_source_license"]))
    @example(
        answers={
            "project_name": "#1 `Model` \\",
            "author_name": "C:\\path\\",
            "author_email": '"quoted"@example.com',
            "description": 'Say "hi" \\ \U0001f600',
        },
        license_="MIT",
    )
    @example(
        answers={
            "project_name": "P",
            "author_name": "A",
            "author_email": "notanemail",
            "description": "",
        },
        license_="none",
    )
    def check(answers: dict[str, str], license_: str) -> None:
        expected = {field: as_cookiecutter_passes_it(value) for field, value in answers.items()}
        output = Path(tempfile.mkdtemp(dir=outside_git))
        capfd.readouterr()
        try:
            project = bake(
                output,
                repo_name="free-text-check",
                module_name="free_text_check",
                environment_manager=manager,
                open_source_license=license_,
                **answers,
            )
        except FailedHookException:
            errors = [line for line in capfd.readouterr().err.splitlines() if "ERROR" in line]
            assert errors, "refused without an ERROR message"
            for line in errors:
                assert line.startswith(tuple(f"ERROR: {field} " for field in FIELDS)), line
            assert not all(allowed(field, value) for field, value in expected.items()), errors
            assert list(output.iterdir()) == [], "a refused project left files behind"
            return

        assert all(allowed(field, value) for field, value in expected.items()), expected
        project.parse_every_file()
        recorded = json.loads(project.read(".cruft.json"))["context"]["cookiecutter"]
        assert {field: recorded[field] for field in FIELDS} == expected
        meta = tomllib.loads(project.read("pyproject.toml"))["project"]
        assert meta["description"] == expected["description"]
        author = {"name": expected["author_name"]}
        if expected["author_email"]:
            author["email"] = expected["author_email"]
            # What hatchling does with the author when it builds the metadata.
            str(Address(display_name=author["name"], addr_spec=author["email"]))
        assert meta["authors"] == [author]
        readme = project.read("README.md").splitlines()
        assert readme[0] == f"# {expected['project_name'].strip()}"
        assert readme[2] == expected["description"].strip()
        if license_ != "none":
            assert expected["author_name"].strip() in project.read("LICENSE")

    check()
