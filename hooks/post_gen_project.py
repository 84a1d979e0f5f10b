"""Finish the generated project: prune unused files, record the answers, start git.

Standard library only (see pre_gen_project.py). Runs inside the new project folder.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

# Context keys that describe this machine or the template internals, not the user's answers.
UNRECORDED_KEYS = (
    "_output_dir",
    "_repo_dir",
    "_checkout",
    "_copy_without_render",
    "_dependencies",
    "_extensions",
    "_files_by_answer",
)

ANSWERS_FILE = ".cruft.json"


def remove_unused_files(root: Path, answers: dict[str, object]) -> list[Path]:
    """Delete the files of the options that were not chosen and return what was removed.

    ``answers["_files_by_answer"]`` (from cookiecutter.json) lists, per question and per
    answer, the files (or folders) only that answer uses, relative to the project root: a
    file listed under some answer of a question stays only if it is listed under the chosen
    one (a boolean answer is written ``true`` or ``false``).
    """
    files_by_answer: dict[str, dict[str, list[str]]] = answers["_files_by_answer"]  # type: ignore[assignment]
    unused: set[str] = set()
    for question, files in files_by_answer.items():
        kept = set(files.get(answer_key(answers[question]), []))
        unused |= {name for names in files.values() for name in names} - kept
    removed = []
    for path in (root / name for name in sorted(unused)):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        removed.append(path)
    return removed


def answer_key(answer: object) -> str:
    """How cookiecutter.json names an answer: booleans as ``true``/``false``."""
    return str(answer).lower() if isinstance(answer, bool) else str(answer)


def template_commit(template_dir: str) -> str | None:
    """Return the git commit the template was rendered from, if it is a git checkout."""
    if not shutil.which("git") or not Path(template_dir).is_dir():
        return None
    result = subprocess.run(
        ["git", "-C", template_dir, "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def record_answers(root: Path, answers: dict[str, object]) -> Path:
    """Write the answers as cruft expects them, so the project can follow template updates.

    ``cruft check`` and ``cruft update`` compare with the template at ``commit`` and
    re-render it with ``context.cookiecutter``, so the user is not asked again.
    """
    recorded = {key: value for key, value in answers.items() if key not in UNRECORDED_KEYS}
    record = {
        "template": answers.get("_template", ""),
        "commit": template_commit(str(answers.get("_repo_dir", ""))),
        "checkout": answers.get("_checkout"),
        "context": {"cookiecutter": recorded},
        "directory": None,
        # cruft rewrites this file itself after an update: never merge template changes into it.
        "skip": [".git", ANSWERS_FILE],
    }
    path = root / ANSWERS_FILE
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a git command in ``root`` without raising."""
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def init_git(root: Path, template: str) -> str:
    """Create a repository with an initial commit where possible; return what was done."""
    if not shutil.which("git"):
        return "git was not found: skipped 'git init'. Install git, then run 'git init'."
    if git(root.parent, "rev-parse", "--is-inside-work-tree").returncode == 0:
        return (
            "the project is inside another git repository: skipped 'git init' so it is "
            "tracked by that repository."
        )
    git(root, "-c", "init.defaultBranch=main", "init")
    git(root, "add", "--all")
    # useConfigOnly: never commit under an identity git guessed from the host name.
    committed = git(
        root,
        "-c",
        "commit.gpgsign=false",
        "-c",
        "user.useConfigOnly=true",
        "commit",
        "--quiet",
        "--no-verify",
        "-m",
        f"Initial commit from the {template} template",
    )
    if committed.returncode == 0:
        return "initialised a git repository with an initial commit on branch main."
    if git(root, "-c", "user.useConfigOnly=true", "var", "GIT_COMMITTER_IDENT").returncode:
        return (
            "initialised a git repository and staged all files, but git has no user "
            "identity, so the initial commit was skipped. Run: git config --global "
            'user.name "Your Name"; git config --global user.email you@example.com; '
            'git commit -m "Initial commit"'
        )
    return f"initialised a git repository; the initial commit failed: {committed.stderr}"


def main(answers: dict[str, object]) -> int:
    """Prune, record and commit the freshly generated project in the current folder."""
    root = Path.cwd()
    remove_unused_files(root, answers)
    record_answers(root, answers)
    print(f"git: {init_git(root, str(answers.get('_template', 'cookiecutter')))}")
    print(f"\nCreated {root}.\nNext: cd {root.name} && make install && make test && make train")
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(r"""{{ cookiecutter | jsonify }}""")))
