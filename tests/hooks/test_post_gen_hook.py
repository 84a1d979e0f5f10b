"""Unit tests of hooks/post_gen_project.py on hand-made folders."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testkit.combinations import DECLARED

ANSWERS = {
    "project_name": "Churn",
    "repo_name": "churn",
    "module_name": "churn",
    "environment_manager": "uv",
    "open_source_license": "MIT",
    "include_ci": True,
    "_template": "/templates/ml",
    "_output_dir": "/home/someone/projects",
    "_repo_dir": "/nonexistent/template/checkout",
    "_checkout": None,
    "_dependencies": {"runtime": [], "dev": []},
    "_files_by_answer": DECLARED["_files_by_answer"],
}

ALL_OPTIONAL = [
    "tests/test_dependency_files.py",
    "requirements.txt",
    "requirements-dev.txt",
    "poetry.toml",
    "environment.yml",
    "LICENSE",
    ".github/workflows/ci.yml",
]


def make_project(root: Path) -> Path:
    for relative in [*ALL_OPTIONAL, "pyproject.toml"]:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text("x\n")
    return root


@pytest.mark.parametrize(
    ("manager", "kept"),
    [("a", {"only-a.txt", "shared/both.txt"}), ("b", {"shared/both.txt"}), ("none", set())],
)
def test_only_the_chosen_answers_files_stay(post_gen, tmp_path, manager, kept):
    files_by_answer = {
        "environment_manager": {
            "a": ["only-a.txt", "shared/both.txt"],
            "b": ["shared/both.txt"],
            "none": [],
        }
    }
    for relative in ["only-a.txt", "shared/both.txt", "pyproject.toml"]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x\n")
    answers = {**ANSWERS, "environment_manager": manager, "_files_by_answer": files_by_answer}
    post_gen.remove_unused_files(tmp_path, answers)
    assert {name for name in ("only-a.txt", "shared/both.txt") if (tmp_path / name).exists()} == (
        kept
    )
    assert (tmp_path / "pyproject.toml").exists()


def test_no_license_and_no_ci_remove_their_files(post_gen, tmp_path):
    root = make_project(tmp_path)
    removed = post_gen.remove_unused_files(
        root, {**ANSWERS, "open_source_license": "none", "include_ci": False}
    )
    assert not (root / "LICENSE").exists()
    assert not (root / ".github").exists()
    assert root / "LICENSE" in removed


def test_answers_are_recorded_for_cruft_without_machine_paths(post_gen, tmp_path):
    path = post_gen.record_answers(tmp_path, ANSWERS)
    record = json.loads(path.read_text())
    assert path.name == ".cruft.json"
    assert record["template"] == "/templates/ml"
    assert record["commit"] is None  # the template checkout is not a git repository
    answers = record["context"]["cookiecutter"]
    assert answers["module_name"] == "churn"
    assert answers["include_ci"] is True
    assert not {"_output_dir", "_repo_dir", "_dependencies", "_files_by_answer"} & answers.keys()


def test_template_commit_is_recorded_from_a_git_checkout(post_gen, tmp_path):
    template = tmp_path / "template"
    template.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=template, check=True)
    (template / "cookiecutter.json").write_text("{}")
    subprocess.run(["git", "add", "."], cwd=template, check=True)
    subprocess.run(["git", "commit", "-qm", "t"], cwd=template, check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=template, capture_output=True, text=True, check=True
    ).stdout.strip()
    project = tmp_path / "project"
    project.mkdir()
    record = json.loads(
        post_gen.record_answers(project, {**ANSWERS, "_repo_dir": str(template)}).read_text()
    )
    assert record["commit"] == head


def git_out(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_git_init_makes_an_initial_commit_of_every_file(post_gen, tmp_path):
    root = make_project(tmp_path / "project")
    message = post_gen.init_git(root, "/templates/ml")
    assert "initial commit" in message
    assert git_out(root, "branch", "--show-current") == "main"
    assert git_out(root, "status", "--porcelain") == ""
    assert "pyproject.toml" in git_out(root, "ls-files").split()


def test_git_without_identity_skips_the_commit_and_says_so(post_gen, tmp_path, monkeypatch):
    empty_config = tmp_path / "empty-gitconfig"
    empty_config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty_config))
    for variable in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "EMAIL"):
        monkeypatch.delenv(variable, raising=False)
    root = make_project(tmp_path / "project")
    message = post_gen.init_git(root, "/templates/ml")
    assert "no user identity" in message
    assert "git config --global user.name" in message
    assert (root / ".git").is_dir()
    assert "pyproject.toml" in git_out(root, "diff", "--cached", "--name-only").split()


def test_no_nested_repository_inside_an_existing_one(post_gen, tmp_path):
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    root = make_project(tmp_path / "project")
    message = post_gen.init_git(root, "/templates/ml")
    assert "inside another git repository" in message
    assert not (root / ".git").exists()


def test_missing_git_is_reported_not_fatal(post_gen, tmp_path, monkeypatch):
    monkeypatch.setattr(post_gen.shutil, "which", lambda _name: None)
    root = make_project(tmp_path / "project")
    assert "git was not found" in post_gen.init_git(root, "/templates/ml")
    assert not (root / ".git").exists()
