"""A generated project follows later versions of the template with cruft, using .cruft.json."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from testkit.baking import TEMPLATE_DIR, bake

CRUFT = [sys.executable, "-m", "cruft"]


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


def test_cruft_sees_and_applies_a_template_change(tmp_path):
    template = tmp_path / "template"
    shutil.copytree(
        TEMPLATE_DIR, template, ignore=shutil.ignore_patterns(".git", ".venv", "*cache*")
    )
    git(template, "init", "-q")
    git(template, "add", "--all")
    git(template, "commit", "-qm", "Template v1")
    project = bake(tmp_path / "out", template=template, environment_manager="venv")

    def cruft(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CRUFT, *args], cwd=project.path, capture_output=True, text=True, check=False
        )

    assert cruft("check").returncode == 0

    gitignore = template / "{{cookiecutter.repo_name}}" / ".gitignore"
    gitignore.write_text(gitignore.read_text() + "\n# Added in template v2\nscratch/\n")
    git(template, "commit", "-qam", "Template v2")
    assert cruft("check").returncode == 1

    updated = cruft("update", "--skip-apply-ask")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "scratch/" in project.read(".gitignore")
    assert not list(project.path.rglob("*.rej")), "the update left merge conflicts"
    assert cruft("check").returncode == 0
