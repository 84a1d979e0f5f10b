"""The escaping filters of local_extensions.py: any text reads back exactly, in every format.

Property-based: hypothesis draws arbitrary text (control characters, quotes, backslashes,
line separators, non-BMP characters, lone surrogates) and each filter's output is read
back by that format's own parser.
"""

from __future__ import annotations

import ast
import json
import sys

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# Characters that broke or could break one of the formats, drawn often on purpose.
TRICKY = [
    "\\",
    '"',
    "'",
    "\n",
    "\r",
    "\t",
    "\x00",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9f",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\ufffe",
    "\uffff",
    "\U0001f600",
    "\U0010ffff",
    "\ud83d",
    "\udcff",
    "#",
    "`",
    ":",
    "{",
    "}",
    " ",
]
# Every code point, surrogates included (hypothesis leaves them out unless asked).
ANY_TEXT = st.text(st.characters(exclude_categories=()) | st.sampled_from(TRICKY))
NAMED_CASES = ["C:\\path", "trailing \\", 'say "hi"', "'", "", "\x7f", "\U0001f600", "a\u2028b"]

# No timing checks: these machines are shared, and a slow draw is not a wrong answer.
fast = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def has_surrogate(text: str) -> bool:
    return any("\ud800" <= character <= "\udfff" for character in text)


def written_as_utf8(document: str) -> str:
    """What a reader gets back after the document is written to disk as UTF-8."""
    return document.encode("utf-8").decode("utf-8")


@fast
@given(ANY_TEXT)
@example("C:\\path")
@example("trailing \\")
@example('"quoted" e-mail')
@example("\x7f")
@example("\ud800")
def test_toml_string_round_trips(extensions, text):
    if has_surrogate(text):
        with pytest.raises(ValueError, match="surrogate"):
            extensions.toml_string(text)
        return
    document = f"value = {extensions.toml_string(text)}\n"
    assert tomllib.loads(written_as_utf8(document)) == {"value": text}


@fast
@given(ANY_TEXT)
def test_yaml_string_round_trips(extensions, text):
    literal = extensions.yaml_string(text)
    for document in (f"value: {literal}\n", f"- name: {literal}\n  other: 1\n"):
        loaded = yaml.safe_load(written_as_utf8(document))
        assert loaded in ({"value": text}, [{"name": text, "other": 1}])


@fast
@given(ANY_TEXT)
def test_json_string_round_trips(extensions, text):
    assert json.loads(written_as_utf8(extensions.json_string(text))) == text


@fast
@given(ANY_TEXT)
def test_python_string_round_trips(extensions, text):
    literal = extensions.python_string(text)
    tree = ast.parse(written_as_utf8(f"value = {literal}\n"))
    assert ast.literal_eval(tree.body[0].value) == text


@pytest.mark.parametrize("text", NAMED_CASES)
def test_named_cases_keep_their_characters(extensions, text):
    assert tomllib.loads(f"v = {extensions.toml_string(text)}")["v"] == text
    assert yaml.safe_load(f"v: {extensions.yaml_string(text)}")["v"] == text
    assert json.loads(extensions.json_string(text)) == text


def test_readable_output_for_ordinary_text(extensions):
    assert extensions.toml_string('Zoë "Z" O\'Brien') == '"Zoë \\"Z\\" O\'Brien"'
    assert extensions.yaml_string("Zoë") == '"Zoë"'
    assert extensions.toml_string("C:\\path\\") == '"C:\\\\path\\\\"'


def test_text_line_trims_the_line_ends(extensions):
    assert extensions.text_line("  # My `project` \u00a0") == "# My `project`"


def test_template_choices_come_from_cookiecutter_json(extensions):
    from testkit.combinations import DECLARED

    assert extensions.template_choices("python_version") == DECLARED["python_version"]
    with pytest.raises(TypeError):
        extensions.template_choices("project_name")
