"""The README's options table is written from cookiecutter.json, and kept current."""

from __future__ import annotations

import subprocess
import sys

from conftest import load_module

from testkit.baking import TEMPLATE_DIR

SCRIPT = TEMPLATE_DIR / "tools" / "options_table.py"


def test_the_readme_options_table_is_current():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_table_has_a_row_per_question_with_its_declared_values():
    tool = load_module("options_table", SCRIPT)
    table = tool.table()
    assert "| `python_version` | `3.11`, `3.10`, `3.12`, `3.13` |" in table
    assert "| `include_ci` | `true`, `false` |" in table
    stale = tool.with_table(tool.README.read_text(encoding="utf-8")).replace("`3.12`", "`3.99`")
    assert tool.with_table(stale) != stale  # a hand-edited table is found and rewritten
