"""Fixtures shared by the template's tests."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from baking import TEMPLATE_DIR


@pytest.fixture(autouse=True, scope="session")
def isolated_git_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Give git a known identity and ignore the machine's own git configuration."""
    config = tmp_path_factory.mktemp("git") / "gitconfig"
    config.write_text(
        "[user]\n\tname = Template Tests\n\temail = tests@example.com\n"
        "[init]\n\tdefaultBranch = main\n"
    )
    saved = {key: os.environ.get(key) for key in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM")}
    os.environ["GIT_CONFIG_GLOBAL"] = str(config)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    yield config
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def load_hook(name: str) -> ModuleType:
    """Import ``hooks/<name>.py`` as a module (its Jinja only runs under ``__main__``)."""
    spec = importlib.util.spec_from_file_location(name, TEMPLATE_DIR / "hooks" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def pre_gen() -> ModuleType:
    return load_hook("pre_gen_project")


@pytest.fixture(scope="session")
def post_gen() -> ModuleType:
    return load_hook("post_gen_project")
