"""Jinja filters that write an answer as a string literal of the file format it lands in.

Loaded by cookiecutter through ``_extensions`` in cookiecutter.json (cookiecutter and cruft
put the template folder on ``sys.path``). Standard library and Jinja only: users run plain
``cookiecutter``. Each ``*_string`` filter returns a complete quoted literal that reads
back as exactly the answer, whatever characters it holds:

    description = {{ cookiecutter.description | toml_string }}

``text_line`` is for prose files (Markdown, LICENSE), which need no quoting.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment
from jinja2.ext import Extension

TEMPLATE_DIR = Path(__file__).resolve().parent


def _is_surrogate(character: str) -> bool:
    return "\ud800" <= character <= "\udfff"


def _unicode_escape(character: str) -> str:
    code = ord(character)
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def json_string(value: object) -> str:
    """A JSON string literal (readable: non-ASCII stays as is, except lone surrogates)."""
    encoded = json.dumps(str(value), ensure_ascii=False)
    # A lone surrogate cannot be written as UTF-8; JSON's \\uXXXX escape can carry it.
    return "".join(_unicode_escape(c) if _is_surrogate(c) else c for c in encoded)


def toml_string(value: object) -> str:
    """A TOML basic string (TOML 1.0) built on JSON's escaping, with TOML's differences fixed.

    JSON and TOML basic strings share ``\\" \\\\ \\b \\t \\n \\f \\r`` and ``\\uXXXX``.
    They differ in two places: TOML forbids a literal DEL (U+007F), which JSON leaves
    as is, and TOML escapes must be Unicode scalar values, so a lone surrogate (which
    JSON would write as ``\\udXXX``) has no TOML spelling at all: refuse it.
    """
    text = str(value)
    if any(_is_surrogate(character) for character in text):
        raise ValueError(f"{text!r} holds a lone surrogate, which TOML cannot represent")
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


# Characters YAML 1.1 (PyYAML) reads literally in a double-quoted scalar ("printable"
# minus NEL, a line break it would fold). LINE and PARAGRAPH SEPARATOR (line breaks for
# some YAML 1.1 readers) and the byte-order mark are escaped as well, to be safe.
def _yaml_literal(character: str) -> bool:
    code = ord(character)
    if code in (0x2028, 0x2029, 0xFEFF):
        return False
    return (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def yaml_string(value: object) -> str:
    """A YAML double-quoted scalar: JSON's escaping (JSON strings are YAML), plus escapes
    for what YAML may not hold literally (DEL, C1 controls, line separators, BOM...)."""
    encoded = json.dumps(str(value), ensure_ascii=False)
    return "".join(c if _yaml_literal(c) else _unicode_escape(c) for c in encoded)


def python_string(value: object) -> str:
    """A Python string literal (``repr``): escapes quotes, backslashes and non-printables."""
    return repr(str(value))


def text_line(value: object) -> str:
    """An answer as one line of prose for Markdown and plain-text files.

    Surrounding whitespace is dropped: at a line end it is noise that the generated
    project's own trailing-whitespace hook would otherwise rewrite on the first run.
    The pre-generation hook has already refused line breaks and control characters.
    """
    return str(value).strip()


@cache
def _declared() -> dict[str, Any]:
    return json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text(encoding="utf-8"))


def template_choices(variable: str) -> list[Any]:
    """The values cookiecutter.json offers for a choice ``variable``, as declared there.

    The rendered context only holds the chosen value (and a replay file or cruft may
    not carry the original lists), so the hooks ask the template itself.
    """
    choices = _declared()[variable]
    if not isinstance(choices, list):
        raise TypeError(f"{variable!r} is not a choice variable in cookiecutter.json")
    return list(choices)


FILTERS = {
    "json_string": json_string,
    "python_string": python_string,
    "text_line": text_line,
    "toml_string": toml_string,
    "yaml_string": yaml_string,
}


class AnswerFormats(Extension):
    """Adds the filters above and the ``template_choices`` function to cookiecutter's Jinja."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters.update(FILTERS)
        environment.globals["template_choices"] = template_choices
