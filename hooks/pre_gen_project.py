"""Validate the answers before cookiecutter writes any file.

Standard library only: cookiecutter runs hooks as plain scripts and cannot
import the template's own modules. Every rule returns one message that names
the field, the bad value and an example of a good one. On any error the hook
exits non-zero and cookiecutter deletes the folder it created for the project.

The Jinja in ``__main__`` is rendered by cookiecutter before the hook runs; the
tests import this file as a module and call the functions directly.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
import unicodedata
from email.headerregistry import Address
from pathlib import Path

# Facts about the template come from cookiecutter.json, never restated here: the Python
# choices through the local Jinja extension (see __main__ below), the dependencies from
# the rendered context's ``_dependencies``. What cookiecutter.json cannot say is below.

# Distributions whose import name is not their name with "-" turned into "_".
IMPORT_NAMES = {
    "scikit-learn": "sklearn",
    "python-dotenv": "dotenv",
    "pyyaml": "yaml",
    "pyopenssl": "openssl",  # imported as OpenSSL; a package name is lower-case anyway
}
# Imported by the project's code but installed as dependencies of its dependencies.
TRANSITIVE_IMPORTS = ("nbformat",)
# Folders of the generated layout that an import of the same name would collide with.
LAYOUT_NAMES = ("src", "test", "tests")

# Answers written as free text into pyproject.toml, README.md and LICENSE.
FREE_TEXT_EXAMPLES = {
    "project_name": "project_name=Churn Model",
    "author_name": "author_name=Ada Lovelace",
    "author_email": "author_email=ada@example.com",
    "description": "description=Predicts customer churn from usage data.",
}
# Free-text answers that may be empty (an empty e-mail lists the author by name only).
MAY_BE_EMPTY = ("author_email", "description")
# Control characters (including tab and every line break), lone surrogates, and the
# Unicode line and paragraph separators: an answer is one line of printable text.
FORBIDDEN_CATEGORIES = {"Cc": "control character", "Cs": "lone surrogate"}
FORBIDDEN_CATEGORIES |= {"Zl": "line separator", "Zp": "paragraph separator"}

MODULE_NAME_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")
# PEP 508 distribution name, which is also a portable folder name.
REPO_NAME_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def import_name(requirement: str) -> str:
    """The name a PEP 508 ``requirement`` is imported by (``scikit-learn>=1.5`` -> ``sklearn``)."""
    match = REQUIREMENT_NAME.match(requirement)
    if not match:
        raise ValueError(f"not a requirement: {requirement!r}")
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    return IMPORT_NAMES.get(name, name.replace("-", "_"))


def reserved_module_names(dependencies: dict[str, list[str]]) -> frozenset[str]:
    """Import names a project package must not take: it would shadow them or the layout."""
    imported = {import_name(r) for requirements in dependencies.values() for r in requirements}
    return frozenset(imported | set(TRANSITIVE_IMPORTS) | set(LAYOUT_NAMES))


def check_module_name(name: str, reserved: frozenset[str] | set[str]) -> str | None:
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
    if name in reserved:
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


def check_python_version(version: str, supported: list[str] | tuple[str, ...]) -> str | None:
    """Return an error message if ``version`` is not one of the ``supported`` Pythons."""
    if version not in supported:
        return (
            f"python_version {version!r} is not supported: choose one of "
            f"{', '.join(sorted(supported, key=lambda v: tuple(map(int, v.split('.')))))}. "
            "Example of a good one: python_version=3.11"
        )
    return None


def check_free_text(field: str, value: str) -> str | None:
    """Return an error message unless ``value`` is one line of printable text.

    Every format the answer is written into escapes it (see local_extensions.py);
    what is refused here is what no one-line field should hold.
    """
    example = f"Example of a good one: {FREE_TEXT_EXAMPLES[field]}"
    for character in value:
        kind = FORBIDDEN_CATEGORIES.get(unicodedata.category(character))
        if kind:
            return (
                f"{field} {value!r} contains a {kind} ({character!a}): the answer must "
                f"be one line of printable text. {example}"
            )
    if field not in MAY_BE_EMPTY and not value.strip():
        return f"{field} {value!r} is empty. {example}"
    return None


def check_author_email(email: str) -> str | None:
    """Return an error message unless ``email`` is empty or one address packaging accepts.

    Build backends (hatchling) format the author as an e-mail header with
    ``email.headerregistry.Address``, which refuses what this refuses.
    """
    if not email:
        return None
    problem = ""
    try:
        address = Address(addr_spec=email)
    except Exception as error:  # the parser raises several unrelated types
        problem = " ".join(str(error).split()) or type(error).__name__
    else:
        if not address.username or "." not in address.domain.strip("."):
            problem = "it needs a name, '@' and a domain with a dot"
    if not problem:
        return None
    return (
        f"author_email {email!r} is not a usable e-mail address ({problem}). Leave it empty "
        f"or give one address. Example of a good one: {FREE_TEXT_EXAMPLES['author_email']}"
    )


def validate(answers: dict[str, object], python_versions: list[str]) -> list[str]:
    """Check every rule and return the error messages (empty when all is well).

    ``python_versions`` are the choices cookiecutter.json offers; the reserved module
    names follow the answers' ``_dependencies`` (the lists the files are rendered from).
    """
    reserved = reserved_module_names(answers["_dependencies"])  # type: ignore[arg-type]
    checks = [
        check_repo_name(str(answers["repo_name"])),
        check_module_name(str(answers["module_name"]), reserved),
        check_python_version(str(answers["python_version"]), python_versions),
    ]
    free_text = {
        field: check_free_text(field, str(answers[field])) for field in FREE_TEXT_EXAMPLES
    }
    checks += free_text.values()
    if not free_text["author_email"]:
        checks.append(check_author_email(str(answers["author_email"])))
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


def main(answers: dict[str, object], python_versions: list[str]) -> int:
    """Validate the answers and the target folder; print each problem to stderr."""
    errors = validate(answers, python_versions)
    if not errors:
        # Only a valid answer set can have an existing folder worth protecting.
        target_error = check_target_is_empty(Path.cwd())
        errors = [target_error] if target_error else []
    for message in errors:
        print(f"ERROR: {message}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    # jsonify writes ASCII JSON, which never holds three quotes in a row or ends in a
    # backslash, so a raw triple-quoted string carries it unchanged.
    sys.exit(
        main(
            json.loads(r"""{{ cookiecutter | jsonify }}"""),
            json.loads(r"""{{ template_choices('python_version') | jsonify }}"""),
        )
    )
