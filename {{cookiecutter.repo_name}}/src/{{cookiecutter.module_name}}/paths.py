"""Where the project lives on disk, whatever the current working directory is.

Code run from ``notebooks/``, ``tests/`` or any sub-folder must find the same configs, data
and experiment store, so every project path is absolute and derived from this file.
"""

from __future__ import annotations

from pathlib import Path


def find_project_root() -> Path:
    """Return the project root: the folder holding ``pyproject.toml`` and ``src/``.

    The package is installed in editable mode, so it normally sits in ``<root>/src/<package>``.
    If it was installed as a regular wheel instead, fall back to the nearest parent of the
    current directory that holds a ``pyproject.toml``.
    """
    source_root = Path(__file__).resolve().parents[2]
    if (source_root / "pyproject.toml").is_file():
        return source_root
    cwd = Path.cwd().resolve()
    for folder in (cwd, *cwd.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    return cwd


PROJECT_ROOT = find_project_root()
CONFIGS_DIR = PROJECT_ROOT / "configs"
DATA_DIR = PROJECT_ROOT / "data"
FIGURES_DIR = PROJECT_ROOT / "reports" / "figures"
DEFAULT_CONFIG = CONFIGS_DIR / "classification.yaml"
