"""Real environments: each manager installs the project as its README says, and it is green.

Slow: creates one environment per manager (uv, venv + pip, Poetry), shared by the tests.
conda cannot be installed on the machines these tests run on: its environment.yml is
checked statically in test_generated_files.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from testkit.baking import CURRENT_PYTHON, REAL_ENVIRONMENT_MANAGERS, bake, user_environment


@pytest.fixture(params=REAL_ENVIRONMENT_MANAGERS)
def project(request, installed_project):
    return installed_project(request.param)


def test_make_install_creates_the_environment_and_the_git_hooks(project):
    version = project.run(str(project.python), "-c", "import sys; print(sys.version)").stdout
    assert version.startswith(CURRENT_PYTHON + ".")
    project.run(str(project.python), "-c", f"import {project.module_name}")
    hook = project.path / ".git" / "hooks" / "pre-commit"
    assert hook.is_file()
    assert "pre-commit" in hook.read_text()
    # Its signing key: the private one in the user's config folder, the public one committed.
    private = Path(os.environ["XDG_CONFIG_HOME"]) / "model-signing" / "private-key.pem"
    assert private.stat().st_mode & 0o777 == 0o600
    assert (project.path / "trusted-signers" / "tests@example.com.pub").is_file()
    assert project.run("git", "ls-files", "trusted-signers").stdout.split() == [
        "trusted-signers/README.md",
        "trusted-signers/tests@example.com.pub",
    ]


def passed(result) -> int:
    """How many tests a green pytest run passed (fails on any failure or error)."""
    summary = result.stdout.strip().splitlines()[-1]
    assert "failed" not in summary, result.stdout[-3000:]
    assert "error" not in summary, result.stdout[-3000:]
    count = re.search(r"(\d+) passed", summary)
    assert count, result.stdout[-3000:]
    return int(count.group(1))


def test_generated_fast_tests_pass(project):
    result = project.make("test")
    assert passed(result) > 0
    assert re.search(r"\d+ deselected", result.stdout)  # the slow ones are left out


def test_every_generated_test_passes_in_parallel(installed_project):
    """`make test-all` (what the generated CI runs): every test, slow ones too, with xdist.

    Once, in the uv project: the fast tests already pass in every manager's environment.
    """
    project = installed_project("uv")
    listed = project.run(str(project.python), "-m", "pytest", "--collect-only", "-q").stdout
    count = re.search(r"(\d+) tests? collected", listed)
    assert count, listed[-2000:]
    collected = int(count.group(1))
    result = project.make("test-all", timeout=1800)
    skipped = re.search(r"(\d+) skipped", result.stdout.strip().splitlines()[-1])
    assert passed(result) + (int(skipped.group(1)) if skipped else 0) == collected
    assert re.search(r"created: \d+/\d+ worker", result.stdout)  # run by pytest-xdist


def test_make_lint_passes(project):
    project.make("lint")


def test_every_git_hook_passes_on_the_fresh_project(project):
    result = project.make("hooks")
    assert "Passed" in result.stdout
    assert "Failed" not in result.stdout


def test_committed_notebook_has_no_outputs(installed_project):
    """Commit a notebook with outputs through the real git hooks: the commit holds none."""
    project = installed_project("uv")
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print('hello')", execution_count=3)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hello\n")]
    notebook.cells = [cell]
    notebook.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    path = project.path / "notebooks" / "scratch-with-outputs.ipynb"
    nbformat.write(notebook, path)

    project.run("git", "add", str(path))
    first = project.run("git", "commit", "-m", "Add a notebook", check=False)
    assert first.returncode != 0, "nbstripout should have modified the notebook"
    assert "nbstripout" in first.stdout + first.stderr
    project.run("git", "add", str(path))
    project.run("git", "commit", "-m", "Add a notebook")

    committed = json.loads(
        project.run("git", "show", "HEAD:notebooks/scratch-with-outputs.ipynb").stdout
    )
    (code_cell,) = committed["cells"]
    assert code_cell["outputs"] == []
    assert code_cell["execution_count"] is None
    assert "version" not in committed["metadata"].get("language_info", {})
    assert project.run("git", "status", "--porcelain", "notebooks").stdout.strip() == ""


def test_hooks_refuse_a_private_key(installed_project):
    project = installed_project("uv")
    secret = project.path / "deploy_key"
    secret.write_text("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n")
    project.run("git", "add", "deploy_key")
    result = project.run("git", "commit", "-m", "oops", check=False)
    assert result.returncode != 0
    assert "private key" in (result.stdout + result.stderr).lower()
    project.run("git", "rm", "--cached", "-q", "deploy_key")
    secret.unlink()


def test_uninstalled_interpreter_gives_a_clear_message(tmp_path):
    """`make install` with a missing interpreter names it and how to pass another one."""
    project = bake(tmp_path, environment_manager="venv")
    result = project.run("make", "install", "PYTHON=python9.99", check=False)
    assert result.returncode != 0
    assert "python9.99 not found" in result.stdout + result.stderr
    assert "make install PYTHON=" in result.stdout + result.stderr
    assert not (project.path / ".venv").exists()


def test_missing_uv_gives_a_clear_message(tmp_path):
    """`make install` on uv without uv says what to install, as venv and Poetry do."""
    project = bake(tmp_path, environment_manager="uv")
    env = user_environment()
    env["PATH"] = os.pathsep.join(
        part for part in env["PATH"].split(os.pathsep) if not (Path(part) / "uv").exists()
    )
    if shutil.which("make", path=env["PATH"]) is None:
        pytest.skip("make is installed only next to uv on this machine")
    result = project.run("make", "install", check=False, env=env)
    assert result.returncode != 0
    assert result.stdout.startswith("uv not found: install it (https://docs.astral.sh/uv/")
    assert len(result.stdout.splitlines()) == 1
    assert not (project.path / ".venv").exists()


def test_make_install_is_quiet_about_a_committed_lock_file(installed_project):
    """install_project saw the first `make install` ask to commit uv.lock; once it is, no more."""
    project = installed_project("uv")
    assert "commit uv.lock" not in project.make("install").stdout


def test_generated_dependency_check_catches_a_drifted_requirements_file(installed_project):
    """The generated mirror test fails when requirements.txt and pyproject.toml disagree."""
    project = installed_project("venv")
    requirements = project.path / "requirements.txt"
    original = requirements.read_text()
    mirror_test = ["-m", "pytest", "-q", "tests/test_dependency_files.py"]
    project.run(str(project.python), *mirror_test)
    try:
        requirements.write_text(original + "tqdm>=4\n")
        drifted = project.run(str(project.python), *mirror_test, check=False)
        assert drifted.returncode == 1
        assert "tqdm" in drifted.stdout
    finally:
        requirements.write_text(original)
