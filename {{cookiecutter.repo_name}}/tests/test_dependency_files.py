"""The environment files mirror pyproject.toml, the single source of the dependencies.

When you add or change a dependency in pyproject.toml, make the same change in
{% if cookiecutter.environment_manager == "venv" -%}
requirements.txt (runtime) or requirements-dev.txt (the ``dev`` group).
{%- else -%}
environment.yml (runtime under ``dependencies``, the ``dev`` group under ``pip``).
{%- endif %}
"""

from __future__ import annotations

import re
{%- if cookiecutter.python_version == "3.10" %}
import sys
{%- else %}
import tomllib
{%- endif %}
from pathlib import Path
{%- if cookiecutter.environment_manager == "conda" %}

import yaml
{%- endif %}
{%- if cookiecutter.python_version == "3.10" %}

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: tomli comes with pytest
    import tomli as tomllib
{%- endif %}

ROOT = Path(__file__).resolve().parents[1]


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def runtime_dependencies() -> set[str]:
    return set(pyproject()["project"]["dependencies"])


def dev_dependencies() -> set[str]:
    return set(pyproject()["dependency-groups"]["dev"])


def normalised(requirement: str) -> str:
    """Drop spaces so 'mlflow >= 3.13' and 'mlflow>=3.13' compare equal."""
    return re.sub(r"\s+", "", requirement)
{%- if cookiecutter.environment_manager == "venv" %}


def requirements(name: str) -> set[str]:
    """The requirement lines of a pip requirements file, without comments and options."""
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    entries = [line for line in lines if line.strip() and not line.startswith(("#", "-"))]
    return {normalised(line) for line in entries}


def test_requirements_txt_lists_the_runtime_dependencies():
    assert requirements("requirements.txt") == {normalised(r) for r in runtime_dependencies()}


def test_requirements_dev_txt_lists_the_dev_group_and_the_project():
    assert requirements("requirements-dev.txt") == {normalised(r) for r in dev_dependencies()}
    options = (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines()
    assert {"-r requirements.txt", "-e ."} <= set(options)
{%- else %}


def environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def test_conda_dependencies_are_the_runtime_dependencies():
    conda = [item for item in environment()["dependencies"] if isinstance(item, str)]
    listed = {normalised(item) for item in conda if not item.startswith(("python=", "pip"))}
    assert listed == {normalised(r) for r in runtime_dependencies()}


def test_pip_section_installs_the_project_and_the_dev_group():
    (pip,) = [item["pip"] for item in environment()["dependencies"] if isinstance(item, dict)]
    assert "--editable ." in pip
    listed = {normalised(item) for item in pip if not item.startswith("-")}
    assert listed == {normalised(r) for r in dev_dependencies()}


def test_conda_forge_only_and_python_pinned():
    assert environment()["channels"] == ["conda-forge", "nodefaults"]
    assert "python={{ cookiecutter.python_version }}" in environment()["dependencies"]
{%- endif %}
