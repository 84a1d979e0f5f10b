"""Fixtures shared by the template's tests, and their kinds, told by their folders.

- ``hooks/``: unit tests of the generation hooks and the Jinja filters;
- ``static/``: projects rendered and checked without an environment (files, lint, answers);
- ``environments/``: real uv, venv and Poetry environments, and the commands run in them;
- ``servers/``: the team's tracking server on PostgreSQL, and the UI in a real browser.

The last two are marked ``slow`` here, from their folder: ``-m "not slow"`` leaves them out.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from testkit.baking import TEMPLATE_DIR, BakedProject, install_project

SLOW_FOLDERS = ("environments", "servers")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of the slow folders ``slow``."""
    for item in items:
        if item.path.parent.name in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True, scope="session")
def isolated_machine_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep every write of the tests (and of the tools they run) in pytest's temp folder.

    git gets a known identity and ignores the machine's configuration; cookiecutter's
    replay files and its hook scripts, hypothesis's caches, the model signing key that
    ``make install`` creates and other tools' temp files go to the session folder instead of
    the home directory, /tmp and the checkout.
    """
    root = tmp_path_factory.mktemp("machine")
    gitconfig = root / "gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Template Tests\n\temail = tests@example.com\n"
        "[init]\n\tdefaultBranch = main\n"
    )
    cookiecutter_config = root / "cookiecutter.yaml"
    cookiecutter_config.write_text(
        f"cookiecutters_dir: {root / 'cookiecutters'}\nreplay_dir: {root / 'replay'}\n"
    )
    scratch = root / "tmp"
    scratch.mkdir()
    overrides = {
        # `make install` creates a model signing key in the user's config folder: here.
        "XDG_CONFIG_HOME": str(root / "config"),
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_CONFIG_NOSYSTEM": "1",
        "COOKIECUTTER_CONFIG": str(cookiecutter_config),
        "TMPDIR": str(scratch),
    }
    saved = {key: os.environ.get(key) for key in overrides}
    saved_tempdir = tempfile.tempdir
    os.environ.update(overrides)
    tempfile.tempdir = str(scratch)
    # hypothesis caches Unicode tables and constants in ./.hypothesis otherwise.
    set_hypothesis_home_dir(str(root / "hypothesis"))
    yield root
    set_hypothesis_home_dir(None)
    tempfile.tempdir = saved_tempdir
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def load_module(name: str, path: Path) -> ModuleType:
    """Import the file ``path`` as module ``name`` (the template's files are not a package)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_hook(name: str) -> ModuleType:
    """Import ``hooks/<name>.py`` as a module (its Jinja only runs under ``__main__``)."""
    return load_module(name, TEMPLATE_DIR / "hooks" / f"{name}.py")


@pytest.fixture(scope="session")
def pre_gen() -> ModuleType:
    return load_hook("pre_gen_project")


@pytest.fixture(scope="session")
def post_gen() -> ModuleType:
    return load_hook("post_gen_project")


@pytest.fixture(scope="session")
def extensions() -> ModuleType:
    """The template's Jinja filters (local_extensions.py, loaded by cookiecutter)."""
    return load_module("template_local_extensions", TEMPLATE_DIR / "local_extensions.py")


@pytest.fixture(scope="session")
def installed_project(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], BakedProject]:
    """Return a function giving, per environment manager, one project installed with
    ``make install``; created once and shared by the session."""
    projects: dict[str, BakedProject] = {}

    def get(manager: str) -> BakedProject:
        if manager not in projects:
            projects[manager] = install_project(
                tmp_path_factory.mktemp(f"installed-{manager}"), f"Env Check {manager}", manager
            )
        return projects[manager]

    return get
