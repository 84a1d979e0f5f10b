"""The examples in docs/*.md work: each passes the project's lint and runs, or is trained with.

A block fenced as ```python title="src/<package>/datasets/churn.py"``` is a file of the
project: it is linted under that name and imported as that module, from a temporary folder
(never written into the project). A titled ``tests/...`` block is a test: it is run. An
untitled Python block is a snippet for a notebook or the Python prompt: it is linted by the
rules of ``notebooks/`` and run. A YAML block is a config: a whole one (with ``experiment``)
is loaded and its blocks built; a part of one (``model:`` alone, say) replaces that part of
the dummy config, which is then trained with; one titled ``.github/...`` is steps of a
GitHub Actions job. So a doc example that breaks fails the tests.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import math
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_config

from {{ cookiecutter.module_name }} import paths
from {{ cookiecutter.module_name }}.config import (
    ExperimentConfig,
    parse_config,
    parse_yaml,
)
from {{ cookiecutter.module_name }}.workflows.promote import promote
from {{ cookiecutter.module_name }}.workflows.train import train

DOCS = sorted((paths.PROJECT_ROOT / "docs").glob("*.md"))
# A fenced block: its indentation, language, the rest of the opening line, and its text.
FENCE = re.compile(r"^( *)```(\w+)(.*?)\n(.*?)^\1```[ \t]*$", re.MULTILINE | re.DOTALL)
TITLE = re.compile(r'title="([^"]+)"')


@dataclass(frozen=True)
class Example:
    """One fenced code block of the docs.

    Attributes:
        doc: The Markdown file's name.
        line: The line, in that file, of the block's first line of code.
        language: The fence's language (``python``, ``yaml``...).
        title: The file the block is shown as (``title="..."`` on the fence), if any.
        code: The block's text, dedented.
    """

    doc: str
    line: int
    language: str
    title: str | None
    code: str

    def __str__(self) -> str:
        return f"docs/{self.doc}:{self.line}"


def examples(language: str) -> list[Example]:
    """Every block of ``language`` in docs/*.md, in order."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            if match.group(2) != language:
                continue
            title = TITLE.search(match.group(3))
            found.append(
                Example(
                    doc=doc.name,
                    line=text.count("\n", 0, match.start(4)) + 1,
                    language=language,
                    title=title.group(1) if title else None,
                    code=textwrap.dedent(match.group(4)),
                )
            )
    return found


PYTHON = examples("python")
YAML = examples("yaml")
WORKFLOW_STEPS = [example for example in YAML if (example.title or "").startswith(".github/")]
CONFIGS = [example for example in YAML if example not in WORKFLOW_STEPS]
MODULES = [example for example in PYTHON if (example.title or "").startswith("src/")]
TESTS = [example for example in PYTHON if (example.title or "").startswith("tests/")]
SNIPPETS = [example for example in PYTHON if example.title is None]


def module_name(example: Example) -> str:
    """The import name of a titled ``src/...`` example, e.g. ``package.datasets.churn``."""
    return ".".join(Path(str(example.title)).relative_to("src").with_suffix("").parts)


def test_the_docs_have_examples_of_each_kind():
    """Guards the parsing: the fences above are found, titled or not."""
    assert MODULES
    assert TESTS
    assert SNIPPETS
    assert YAML


@pytest.fixture(scope="module")
def pasted(tmp_path_factory):
    """A copy of the project's ``pyproject.toml`` and ``src/`` with every Python example
    written where its title says (untitled ones in ``notebooks/``), as a user would paste
    them: ruff then sees the same configuration and the same first-party modules."""
    root = tmp_path_factory.mktemp("pasted")
    shutil.copy(paths.PROJECT_ROOT / "pyproject.toml", root)
    shutil.copytree(
        paths.PROJECT_ROOT / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__")
    )
    files = {}
    # Snippets go to notebooks/, whose rules allow imports after code (E402): the docs call
    # store.configure() before MLflow is imported.
    for number, example in enumerate(PYTHON):
        files[example] = root / (example.title or f"notebooks/docs_snippet_{number}.py")
        files[example].parent.mkdir(parents=True, exist_ok=True)
        files[example].write_text(example.code, encoding="utf-8")
    return root, files


@pytest.mark.parametrize("example", PYTHON, ids=str)
def test_python_example_passes_the_project_lint_and_format(example, pasted):
    """A user pasting the example gets no complaint from `make lint` or the git hooks."""
    root, files = pasted
    for command in (["check"], ["format", "--diff"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--no-cache", str(files[example])],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, (
            f"{example} (ruff's line 1) fails `ruff {command[0]}`:\n{result.stdout}{result.stderr}"
        )


def write_customers(folder: Path, rows: int = 200, seed: int = 0) -> None:
    """Write the customer table the churn example reads: churners pay more."""
    rng = np.random.default_rng(seed)
    monthly_charges = rng.uniform(20, 400, rows).round(2)
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(rows),
            "joined": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365, rows), unit="D"),
            "tenure_days": rng.integers(0, 120, rows),
            "monthly_charges": monthly_charges,
            "support_calls": rng.integers(0, 5, rows),
            "churned": (monthly_charges + rng.normal(0, 20, rows) > 200).astype(int),
        }
    )
    (folder / "raw").mkdir(parents=True)
    frame.to_csv(folder / "raw" / "customers.csv", index=False)


@pytest.fixture
def documented_modules(tmp_path, monkeypatch):
    """Import every ``src/...`` example as the module its title names, from ``tmp_path``.

    Each example is written under ``tmp_path``, whose folders are put first on the search
    path of the package's subpackages; ``paths.DATA_DIR`` points at temporary data files.
    """
    data = tmp_path / "data"
    write_customers(data)
    monkeypatch.setattr(paths, "DATA_DIR", data)
    for example in MODULES:
        target = tmp_path / str(example.title)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(example.code, encoding="utf-8")
        package = importlib.import_module(module_name(example).rpartition(".")[0])
        if str(target.parent) not in package.__path__:
            monkeypatch.setattr(package, "__path__", [str(target.parent), *package.__path__])
        monkeypatch.delitem(sys.modules, module_name(example), raising=False)
    importlib.invalidate_caches()
    yield {
        module_name(example): importlib.import_module(module_name(example)) for example in MODULES
    }
    for example in MODULES:
        sys.modules.pop(module_name(example), None)


def test_every_module_example_imports(documented_modules):
    for name, module in documented_modules.items():
        assert module.__file__ is not None
        assert not Path(module.__file__).is_relative_to(paths.PROJECT_ROOT), name


@pytest.mark.parametrize("example", TESTS, ids=str)
def test_test_example_passes(example, documented_modules, tmp_path, request):
    path = tmp_path / Path(str(example.title)).name
    path.write_text(example.code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"docs_example_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tests = [test for name, test in vars(module).items() if name.startswith("test_")]
    assert tests, f"{example} defines no test function"
    for test in tests:
        fixtures = inspect.signature(test).parameters
        test(**{name: request.getfixturevalue(name) for name in fixtures})


@pytest.mark.parametrize("example", SNIPPETS, ids=str)
def test_snippet_runs(example, documented_modules, tracking_store):
    exec(compile(example.code, str(example), "exec"), {"__name__": "__docs_snippet__"})


def table_for(config: ExperimentConfig, folder: Path) -> Path:
    """Write a small table with the columns a file dataset's config names; return its path."""
    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    target = features.sum(axis=1) * 10 + rng.normal(size=300)
    path = folder / Path(config.dataset.options["path"]).name
    features.assign(**{config.dataset.options["target"]: target}).to_parquet(path)
    return path


@pytest.mark.parametrize("example", WORKFLOW_STEPS, ids=str)
def test_workflow_example_is_a_list_of_steps(example):
    """A GitHub Actions snippet: steps to add to a job, each running a command or an action."""
    steps = parse_yaml(example.code)
    assert isinstance(steps, list), f"{example} is not a list of steps"
    for step in steps:
        assert isinstance(step, dict), f"{example}: {step!r} is not a step"
        assert {"name", "run"} <= set(step) or "uses" in step, f"{example}: {step!r}"


@pytest.mark.slow
@pytest.mark.parametrize("example", CONFIGS, ids=str)
def test_config_example_is_trained_and_promoted(
    example, documented_modules, tracking_store, tmp_path
):
    """A part of a config replaces the dummy config's part; a whole config trains on a
    table written for it. Either way the model is then promoted: it loads, verified."""
    raw = parse_yaml(example.code)
    assert isinstance(raw, dict), f"{example} is not a YAML mapping"
    if "experiment" in raw:
        config = parse_config(example.code)
        if config.dataset.type == "file":
            path = table_for(config, tmp_path)
            config = parse_config(example.code, [f"dataset.path={path}"])
    else:
        config = ExperimentConfig.from_dict({**make_config().to_dict(), **raw})

    metrics = train(config).metrics
    decision = promote(config)

    assert metrics
    assert all(math.isfinite(value) for value in metrics.values())
    assert decision.promoted
