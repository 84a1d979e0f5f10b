"""Write the README's options table from cookiecutter.json and tools/options.yaml.

``python tools/options_table.py`` rewrites the table between its markers in README.md;
``--check`` only says whether it is current (exit status 1 if not), as the tests do. The
questions and their values are read from cookiecutter.json, never restated: only what each
one changes, and how a computed default is derived, come from tools/options.yaml.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BEGIN = "<!-- options table: written by tools/options_table.py, do not edit by hand -->"
END = "<!-- end of the options table -->"


def values(default: object, described: str | None) -> str:
    """A question's values as the table shows them: the default first."""
    if described is not None:
        return described
    if isinstance(default, bool):
        shown = [default, not default]
        return ", ".join(f"`{str(value).lower()}`" for value in shown)
    if isinstance(default, list):
        return ", ".join(f"`{value}`" for value in default)
    return f"`{default}`" if default else ""


def table() -> str:
    """The options table, one row per question of cookiecutter.json."""
    questions = json.loads((ROOT / "cookiecutter.json").read_text(encoding="utf-8"))
    help_ = yaml.safe_load((ROOT / "tools" / "options.yaml").read_text(encoding="utf-8"))
    public = [name for name in questions if not name.startswith("_")]
    missing = sorted(set(public) - set(help_))
    if missing:
        sys.exit(f"tools/options.yaml does not say what {', '.join(missing)} changes")
    rows = ["| variable | values (default first) | what it changes |", "| --- | --- | --- |"]
    for name in public:
        shown = values(questions[name], help_[name].get("values"))
        rows.append(f"| `{name}` | {shown} | {help_[name]['changes']} |")
    return "\n".join(rows)


def with_table(text: str) -> str:
    """README text with the table between the markers replaced by the current one."""
    before, _, rest = text.partition(BEGIN)
    _, _, after = rest.partition(END)
    if not rest:
        sys.exit(f"README.md has no {BEGIN!r} marker")
    return f"{before}{BEGIN}\n{table()}\n{END}{after}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the table is current")
    text = README.read_text(encoding="utf-8")
    current = with_table(text)
    if parser.parse_args().check:
        if current != text:
            print("README.md's options table is out of date: run python tools/options_table.py")
            return 1
        return 0
    README.write_text(current, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
