"""Bad answers through the real cookiecutter CLI: clear message, non-zero exit, nothing on disk."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.baking import TEMPLATE_DIR


def run_cookiecutter(
    output_dir: Path, *args: str, options: tuple[str, ...] = ("--no-input",)
) -> subprocess.CompletedProcess[str]:
    """Run the cookiecutter CLI on this template: ``cookiecutter OPTIONS TEMPLATE ARGS``."""
    return subprocess.run(
        [sys.executable, "-m", "cookiecutter", *options, str(TEMPLATE_DIR), *args],
        cwd=output_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("module_name=json", "module_name 'json' shadows the standard library"),
        ("module_name=mlflow", "module_name 'mlflow' shadows a package the project depends on"),
        ("module_name=class", "module_name 'class' is a Python keyword"),
        ("module_name=2fast", "module_name '2fast' is not a valid Python package name"),
        ("repo_name=my project", "repo_name 'my project' is not a usable folder"),
        ("repo_name=-rf", "repo_name '-rf' is not a usable folder"),
        ("author_email=notanemail", "author_email 'notanemail' is not a usable e-mail address"),
        ("author_email=ada@example", "author_email 'ada@example' is not a usable e-mail address"),
        ("author_name=Ada\nLovelace", "author_name 'Ada\\nLovelace' contains a control character"),
        ("description=Tab\there", "description 'Tab\\there' contains a control character"),
        ("author_name=  ", "author_name '  ' is empty"),
    ],
)
def test_invalid_answer_is_refused_with_one_clear_message(tmp_path, answer, expected):
    result = run_cookiecutter(tmp_path, answer)
    assert result.returncode != 0
    assert f"ERROR: {expected}" in result.stderr
    assert "Example of a good one:" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_repo_name_with_a_slash_leaves_no_file(tmp_path):
    result = run_cookiecutter(tmp_path, "repo_name=team/model")
    assert result.returncode != 0
    assert "ERROR: repo_name 'team/model' is not a usable folder" in result.stderr
    # cookiecutter itself creates the parent folder 'team' before any hook can run;
    # the project folder and every file are gone.
    assert files_under(tmp_path) == []
    assert not (tmp_path / "team" / "model").exists()


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("python_version=3.9", "3.9 provided for choice variable python_version"),
        ("environment_manager=pipenv", "pipenv provided for choice variable environment_manager"),
        ("include_ci=maybe", "maybe provided for variable include_ci could not be converted"),
    ],
)
def test_invalid_choice_on_the_command_line(tmp_path, answer, expected):
    result = run_cookiecutter(tmp_path, answer)
    assert result.returncode != 0
    # cookiecutter itself refuses a value outside a choice list (with its own traceback,
    # which the template cannot replace: README, "Options") before rendering anything.
    assert expected in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_unsupported_python_version_from_a_replay_file(tmp_path):
    """Replay files skip cookiecutter's choice check; the hook still refuses."""
    answers = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
    context = {key: value for key, value in answers.items() if not key.startswith("__")}
    context.update(
        repo_name="replayed",
        module_name="replayed",
        python_version="3.9",
        environment_manager="uv",
        open_source_license="MIT",
    )
    replay = tmp_path / "replay.json"
    replay.write_text(json.dumps({"cookiecutter": context}))
    out = tmp_path / "out"
    out.mkdir()
    result = run_cookiecutter(out, options=("--replay-file", str(replay)))
    assert result.returncode != 0
    assert "ERROR: python_version '3.9' is not supported" in result.stderr
    assert list(out.iterdir()) == []


def test_existing_project_folder_is_not_overwritten(tmp_path):
    existing = tmp_path / "my-ml-project"
    existing.mkdir()
    (existing / "notes.md").write_text("my work")
    result = run_cookiecutter(tmp_path)
    assert result.returncode != 0
    assert "already exists" in result.stderr + result.stdout
    assert [path.name for path in existing.iterdir()] == ["notes.md"]
    assert (existing / "notes.md").read_text() == "my work"


def test_overwrite_flag_does_not_overwrite_a_non_empty_folder(tmp_path):
    existing = tmp_path / "my-ml-project"
    existing.mkdir()
    (existing / "README.md").write_text("my own readme")
    result = run_cookiecutter(tmp_path, "--overwrite-if-exists")
    assert result.returncode != 0
    assert "already exists and is not empty" in result.stderr
    assert [path.name for path in existing.iterdir()] == ["README.md"]
    assert (existing / "README.md").read_text() == "my own readme"
