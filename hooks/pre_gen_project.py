"""Validate the answers before cookiecutter writes any file.

Standard library only: cookiecutter runs hooks as plain scripts and cannot
import the template's own modules. Every rule returns one message that names
the field, the bad value and an example of a good one. On any error the hook
exits non-zero and cookiecutter deletes the folder it created for the project.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from pathlib import Path

SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")

# Import names the generated project depends on or uses for its own layout:
# a package with one of these names would shadow it and break imports.
RESERVED_MODULE_NAMES = frozenset(
    {
        "dotenv",
        "filelock",
        "ipykernel",
        "matplotlib",
        "mlflow",
        "nbclient",
        "nbformat",
        "nbstripout",
        "numpy",
        "pandas",
        "pre_commit",
        "pre_commit_hooks",
        "pyarrow",
        "pytest",
        "ruff",
        "scipy",
        "skops",
        "sklearn",
        "src",
        "test",
        "tests",
        "yaml",
    }
)

MODULE_NAME_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")
# PEP 508 distribution name, which is also a portable folder name.
REPO_NAME_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")


def check_module_name(name: str) -> str | None:
    """Return an error message if ``name`` cannot be the project's import name."""
    example = "Example of a good one: module_name=churn_model"
    if not MODULE_NAME_PATTERN.match(name):
        return (
            f"module_name {name!r} is not a valid Python package name: use lower-case "
            f"letters, digits and underscores, not starting with a digit. {example}"
        )
    if keyword.iskeyword(name):
        return f"module_name {name!r} is a Python keyword and cannot be imported. {example}"
    if name in sys.stdlib_module_names:
        return (
            f"module_name {name!r} shadows the standard library module of the same name. {example}"
        )
    if name in RESERVED_MODULE_NAMES:
        return (
            f"module_name {name!r} shadows a package the project depends on or a folder "
            f"it uses. {example}"
        )
    return None


def check_repo_name(name: str) -> str | None:
    """Return an error message if ``name`` cannot be the project's folder and distribution."""
    if not REPO_NAME_PATTERN.match(name):
        return (
            f"repo_name {name!r} is not a usable folder and package name: use letters, "
            "digits, '-', '_' and '.', starting and ending with a letter or digit, "
            "with no spaces or slashes. Example of a good one: repo_name=churn-model"
        )
    return None


def check_python_version(version: str) -> str | None:
    """Return an error message if ``version`` is not a supported Python."""
    if version not in SUPPORTED_PYTHONS:
        return (
            f"python_version {version!r} is not supported: choose one of "
            f"{', '.join(SUPPORTED_PYTHONS)}. Example of a good one: python_version=3.11"
        )
    return None


def validate(answers: dict[str, object]) -> list[str]:
    """Check every rule and return the error messages (empty when all is well)."""
    checks = (
        check_repo_name(str(answers["repo_name"])),
        check_module_name(str(answers["module_name"])),
        check_python_version(str(answers["python_version"])),
    )
    return [message for message in checks if message]


def check_target_is_empty(project_dir: Path) -> str | None:
    """Refuse to render into a folder that already holds files (``--overwrite-if-exists``)."""
    if any(project_dir.iterdir()):
        return (
            f"The folder {str(project_dir)!r} already exists and is not empty; generating "
            "into it would overwrite files you own. Choose another repo_name or output "
            "directory, or move that folder away first."
        )
    return None


def main(answers: dict[str, object]) -> int:
    """Validate the answers and the target folder; print each problem to stderr."""
    errors = validate(answers)
    if not errors:
        # Only a valid answer set can have an existing folder worth protecting.
        target_error = check_target_is_empty(Path.cwd())
        errors = [target_error] if target_error else []
    for message in errors:
        print(f"ERROR: {message}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(json.loads(r"""{{ cookiecutter | jsonify }}""")))
