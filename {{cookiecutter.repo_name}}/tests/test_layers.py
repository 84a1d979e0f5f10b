"""The package's layers: MLflow and Optuna live in tracking/, and nothing imports upward.

Below the line, the ML core (config, datasets, models, evaluation, small helpers) knows
nothing of the experiment layer; above it, tracking/ is the only package that talks to
MLflow or Optuna, at any level (a function's own import or a type-checking one included).
"""

import ast
from pathlib import Path

import pytest

import {{ cookiecutter.module_name }}

PACKAGE = Path({{ cookiecutter.module_name }}.__file__).parent
NAME = PACKAGE.name
TRACKING_ONLY = ("mlflow", "optuna")
# The experiment layer, above the line; everything else in the package is the ML core.
ABOVE = ("tracking", "workflows", "operations", "cli", "__main__")


def modules():
    return sorted(path for path in PACKAGE.rglob("*.py"))


def imported(path: Path) -> list[str]:
    """Every module a file imports, relative imports made absolute."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = parts[:-1]  # a module's package; an __init__ is its own package
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join([*base, node.module] if node.module else base)
            found.append(module)
            found += [f"{module}.{alias.name}" for alias in node.names]
    return found


def layer(path: Path) -> str:
    top = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    return "above" if top in ABOVE else "core"


@pytest.mark.parametrize("path", modules(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_only_tracking_imports_mlflow_or_optuna(path):
    if path.relative_to(PACKAGE).parts[0] == "tracking":
        return
    offending = [name for name in imported(path) if name.split(".")[0] in TRACKING_ONLY]
    assert offending == [], f"{path.relative_to(PACKAGE)} imports {offending}"


@pytest.mark.parametrize(
    "path",
    [path for path in modules() if layer(path) == "core"],
    ids=lambda path: str(path.relative_to(PACKAGE)),
)
def test_the_ml_core_imports_nothing_above_the_line(path):
    above = [
        name
        for name in imported(path)
        if name.startswith(f"{NAME}.") and name.split(".")[1] in ABOVE
    ]
    assert above == [], f"{path.relative_to(PACKAGE)} imports {above}"


def test_the_audit_sees_imports_at_every_level(tmp_path):
    """The audit itself: a function's own import and a type-checking one are both seen."""
    sample = PACKAGE / "cli" / "common.py"
    assert f"{NAME}.config.ExperimentConfig" in imported(sample)  # under TYPE_CHECKING
    assert any(name.startswith(f"{NAME}.config") for name in imported(sample))
