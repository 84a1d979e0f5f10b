"""What a run needs to be reproduced: the code version and the software environment."""

from __future__ import annotations

import functools
import hashlib
import platform
import shutil
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

# Run tags of the code version; MLflow's UI shows the commit tag.
COMMIT_TAG, DIRTY_TAG = "mlflow.source.git.commit", "git.dirty"
# Run tag: a digest of the environment's files, the same for runs of the same environment.
ENVIRONMENT_DIGEST_TAG = "environment.sha256"

# Files that pin the environment, whichever environment manager the project uses.
ENVIRONMENT_FILES = (
    "uv.lock",
    "poetry.lock",
    "requirements*.txt",
    "environment.yml",
    "pyproject.toml",
)


@dataclass(frozen=True)
class GitState:
    """The commit the code is at and whether the working tree differs from it.

    Attributes:
        commit: The full commit hash, or None outside a git repository.
        dirty: Whether tracked or untracked (not ignored) files changed since the commit.
        diff: What makes the tree dirty: each changed or untracked file as a ``#`` line
            (``git status --porcelain``), so that an untracked file such as a new
            ``uv.lock`` is named, then the changes to tracked files (``git diff HEAD``).
            ``git apply`` takes it as a patch (it skips the ``#`` lines).
    """

    commit: str | None
    dirty: bool | None
    diff: str = ""


def git_state(root: Path) -> GitState:
    """Describe the git state of the repository containing ``root``."""
    if shutil.which("git") is None:
        return GitState(commit=None, dirty=None)
    commit = _git(root, "rev-parse", "HEAD")
    if commit is None:  # not a repository, or no commit yet
        return GitState(commit=None, dirty=None)
    status = (_git(root, "status", "--porcelain") or "").rstrip()
    diff = ""
    if status:
        listed = "".join(f"# {line}\n" for line in status.splitlines())
        diff = listed + (_git(root, "diff", "HEAD") or "")
    return GitState(commit=commit.strip(), dirty=bool(status), diff=diff)


def _git(root: Path, *args: str) -> str | None:
    """Return the output of a git command, or None if it failed."""
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return result.stdout if result.returncode == 0 else None


def source_tags(state: GitState) -> dict[str, str]:
    """Return run tags for the code version (MLflow's UI shows the commit tag)."""
    tags = {DIRTY_TAG: "unknown" if state.dirty is None else str(state.dirty).lower()}
    if state.commit:
        tags[COMMIT_TAG] = state.commit
    return tags


def runtime_tags() -> dict[str, str]:
    """Return run tags for the interpreter and the operating system."""
    return {"python.version": platform.python_version(), "platform": platform.platform()}


def environment_files(root: Path) -> list[Path]:
    """Return the lock and requirement files present at the project root."""
    found = {path for pattern in ENVIRONMENT_FILES for path in root.glob(pattern)}
    return sorted(path for path in found if path.is_file())


def environment_digest(files: list[Path]) -> str:
    """Return a SHA-256 of the environment files (names and bytes, as listed).

    Two runs with the same digest ran with the same locked environment.
    """
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache  # reading every package's metadata is slow; it does not change in a run
def installed_packages() -> str:
    """Return ``name==version`` of every installed distribution, one per line."""
    versions = {
        (dist.metadata["Name"] or "").lower(): dist.version for dist in metadata.distributions()
    }
    return "".join(f"{name}=={version}\n" for name, version in sorted(versions.items()) if name)
