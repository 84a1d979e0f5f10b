"""Bake projects from this template and act on them, for the tests.

``bake`` renders the template with cookiecutter's API; ``BakedProject`` wraps the
result with the questions the tests ask (which files, what they contain) and runs
commands inside it the way a user would, outside this test suite's virtualenv.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
import yaml
from cookiecutter.main import cookiecutter

from testkit.combinations import OPTIONS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
TEST_VENV_BIN = Path(sys.executable).parent
CURRENT_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
# The managers whose environments the tests create (conda's channels are unreachable here).
REAL_ENVIRONMENT_MANAGERS = ("uv", "venv", "poetry")


def user_environment(**overrides: str) -> dict[str, str]:
    """Return this process's environment as a user's shell would have it.

    The suite's own virtualenv is deactivated (uv and pip would otherwise install
    into it) but its bin folder stays on PATH, because that is where uv, poetry and
    pre-commit were installed on a fresh machine.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        # PYTHONDONTWRITEBYTECODE: users' shells compile bytecode once; without it
        # every command in a generated project would recompile and look slow.
        if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE")
    }
    env["PATH"] = (
        os.pathsep.join(
            part for part in env.get("PATH", "").split(os.pathsep) if Path(part) != TEST_VENV_BIN
        )
        + f"{os.pathsep}{TEST_VENV_BIN}"
    )
    env.update(overrides)
    return env


@dataclass
class BakedProject:
    """A generated project on disk."""

    path: Path
    answers: dict[str, object] = field(default_factory=dict)

    @property
    def module_name(self) -> str:
        return str(self.answers["module_name"])

    def has_file(self, relative: str) -> bool:
        return (self.path / relative).is_file()

    def read(self, relative: str) -> str:
        return (self.path / relative).read_text(encoding="utf-8")

    def files(self) -> set[str]:
        """Every file, as a POSIX path relative to the project, outside ``.git``."""
        return {
            path.relative_to(self.path).as_posix()
            for path in self.path.rglob("*")
            if path.is_file() and ".git" not in path.relative_to(self.path).parts
        }

    def run(
        self,
        *command: str,
        timeout: float = 600,
        check: bool = True,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` in the project as a user would; raise with its output on failure."""
        result = subprocess.run(
            command,
            cwd=cwd or self.path,
            env=env or user_environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} exited {result.returncode} in {cwd or self.path}\n"
                f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
            )
        return result

    def make(self, *targets: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        """Run ``make`` targets in the project."""
        if not shutil.which("make"):
            pytest.skip("GNU make is not installed on this machine")
        return self.run("make", *targets, timeout=timeout)

    def parse_every_file(self) -> None:
        """Read every file as UTF-8 and parse each TOML, YAML, JSON, notebook and Python file.

        Raises AssertionError naming the first file that fails (the parser's error is its cause).
        """
        for relative in sorted(self.files()):
            path = self.path / relative
            text = path.read_text(encoding="utf-8")
            try:
                if path.suffix == ".toml":
                    tomllib.loads(text)
                elif path.suffix in (".yaml", ".yml"):
                    yaml.safe_load(text)
                elif path.suffix == ".json":
                    json.loads(text)
                elif path.suffix == ".ipynb":
                    nbformat.validate(nbformat.reads(text, as_version=4))
                elif path.suffix == ".py":
                    ast.parse(text, filename=relative)
            except Exception as error:
                raise AssertionError(f"{relative} does not parse: {error!r}") from error

    @property
    def python(self) -> Path:
        """The interpreter of the project's environment (created by ``make install``)."""
        return self.path / ".venv" / "bin" / "python"


def bake(output_dir: Path, template: Path = TEMPLATE_DIR, **answers: object) -> BakedProject:
    """Render the template into ``output_dir`` without prompting and return the project."""
    path = Path(
        cookiecutter(
            str(template),
            no_input=True,
            output_dir=str(output_dir),
            extra_context=answers,
        )
    )
    record = json.loads((path / ".cruft.json").read_text(encoding="utf-8"))
    return BakedProject(path=path, answers=record["context"]["cookiecutter"])


def add_test_only_poetry_source(project: BakedProject) -> None:
    """Point Poetry at the package index's simple API (this machine's index has no JSON API).

    Done in the baked copy only: the shipped template must not contain it.
    """
    project.run(
        "poetry", "source", "add", "--priority=primary", "index-simple", "https://pypi.org/simple/"
    )


def install_project(folder: Path, project_name: str, manager: str = "uv") -> BakedProject:
    """Bake a project and run ``make install`` exactly as its README says, then commit the
    lock file it wrote (as the README and ``make install`` ask) so the tree is clean."""
    if CURRENT_PYTHON not in OPTIONS["python_version"]:
        pytest.skip(f"the tests run on Python {CURRENT_PYTHON}, which the template does not offer")
    project = bake(
        folder,
        project_name=project_name,
        environment_manager=manager,
        python_version=CURRENT_PYTHON,
    )
    if manager == "poetry":
        add_test_only_poetry_source(project)
    installed = project.make("install")
    lock = {"uv": "uv.lock", "poetry": "poetry.lock"}.get(manager)
    if lock is not None:
        assert f"Now commit {lock} (git add {lock}" in installed.stdout, installed.stdout[-2000:]
    project.run("git", "add", "--all")
    project.run("git", "commit", "--allow-empty", "-m", "Lock the environment")
    return project
