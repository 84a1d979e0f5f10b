"""Named option combinations: every pair of option values meets at least once.

Sixteen bakes instead of the 128 of the full product. ``test_combinations_are_pairwise``
proves the pairwise property, so a new option or value that breaks it fails loudly.
"""

from __future__ import annotations

import json
from pathlib import Path

DECLARED = json.loads(
    (Path(__file__).resolve().parents[1] / "cookiecutter.json").read_text(encoding="utf-8")
)


def _values(default: object) -> tuple[object, ...]:
    """Every value a cookiecutter.json option can take: a choice list, or both booleans."""
    if isinstance(default, bool):
        return (True, False)
    return tuple(default) if isinstance(default, list) else ()


# The options with a fixed set of values, as cookiecutter.json declares them.
OPTIONS: dict[str, tuple[object, ...]] = {
    name: _values(default)
    for name, default in DECLARED.items()
    if not name.startswith("_") and _values(default)
}

_ROWS = (
    # name                     python  manager   license         ci
    ("default-uv-mit", "3.11", "uv", "MIT", True),
    ("venv-bsd", "3.11", "venv", "BSD-3-Clause", True),
    ("poetry-apache-noci", "3.11", "poetry", "Apache-2.0", False),
    ("conda-unlicensed", "3.11", "conda", "none", True),
    ("uv-py310-bsd-noci", "3.10", "uv", "BSD-3-Clause", False),
    ("venv-py310-apache-noci", "3.10", "venv", "Apache-2.0", False),
    ("poetry-py310-unlicensed", "3.10", "poetry", "none", True),
    ("conda-py310-mit-noci", "3.10", "conda", "MIT", False),
    ("uv-py312-apache", "3.12", "uv", "Apache-2.0", True),
    ("venv-py312-unlicensed-noci", "3.12", "venv", "none", False),
    ("poetry-py312-mit-noci", "3.12", "poetry", "MIT", False),
    ("conda-py312-bsd-noci", "3.12", "conda", "BSD-3-Clause", False),
    ("uv-py313-unlicensed", "3.13", "uv", "none", True),
    ("venv-py313-mit-noci", "3.13", "venv", "MIT", False),
    ("poetry-py313-bsd-noci", "3.13", "poetry", "BSD-3-Clause", False),
    ("conda-py313-apache-noci", "3.13", "conda", "Apache-2.0", False),
)

# Free-text answers vary too, so quoting and slugs are exercised: quotes and
# backslashes in TOML strings, non-ASCII names, dots and digits in slugs, and a long module
# name, which must not push the generated code's lines past the lint's line length.
_NAMES = (
    {"project_name": "My ML Project"},
    {"project_name": "Churn Model 2", "author_name": "Zoë O'Brien"},
    {"project_name": "fraud.detection", "description": 'Flags "suspicious" payments \\ fast'},
    {"project_name": "Demand Forecast", "module_name": "forecast"},
    {"project_name": "Customer Lifetime Value Model For Retail Stores"},
)

COMBINATIONS: dict[str, dict[str, object]] = {
    name: {
        "python_version": python,
        "environment_manager": manager,
        "open_source_license": license_,
        "include_ci": ci,
        **_NAMES[index % len(_NAMES)],
    }
    for index, (name, python, manager, license_, ci) in enumerate(_ROWS)
}
