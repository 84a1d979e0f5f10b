"""Provenance: the code version and environment files recorded with every run."""

import shutil
import subprocess

import pytest

from {{ cookiecutter.module_name }} import provenance


def git(root, *args):
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    subprocess.run(
        ["git", *identity, "-c", "commit.gpgsign=false", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_state_tells_a_clean_tree_from_a_dirty_one(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "train.py").write_text("print(1)\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    clean = provenance.git_state(tmp_path)

    (tmp_path / "train.py").write_text("print(2)\n")
    dirty = provenance.git_state(tmp_path)

    assert clean.dirty is False
    assert len(clean.commit) == 40
    assert dirty.dirty is True
    assert dirty.diff.startswith("#  M train.py\n")
    assert "+print(2)" in dirty.diff
    assert provenance.source_tags(dirty) == {
        "git.dirty": "true",
        "mlflow.source.git.commit": clean.commit,
    }


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_an_untracked_file_makes_the_tree_dirty_and_is_named(tmp_path):
    """Such as the uv.lock that `make install` writes, until it is committed."""
    git(tmp_path, "init", "-q")
    (tmp_path / "train.py").write_text("print(1)\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    (tmp_path / "uv.lock").write_text("version = 1\n")

    state = provenance.git_state(tmp_path)

    assert state.dirty is True
    assert state.diff == "# ?? uv.lock\n"


def test_environment_files_are_the_lock_and_requirement_files(tmp_path):
    for name in ("uv.lock", "requirements-dev.txt", "pyproject.toml", "notes.txt"):
        (tmp_path / name).write_text("")

    found = [path.name for path in provenance.environment_files(tmp_path)]

    assert found == ["pyproject.toml", "requirements-dev.txt", "uv.lock"]
