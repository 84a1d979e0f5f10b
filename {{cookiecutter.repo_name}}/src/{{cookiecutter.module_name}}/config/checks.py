"""The checks of a config: one rule per field, declared on the field of its dataclass.

A section of a config (``split``, ``promotion``...) is a frozen dataclass whose fields
carry a :class:`Rule` in their metadata (``field(default=..., metadata=number(low=0))``).
:func:`parse_section` reads the YAML mapping: it refuses keys the dataclass does not have,
checks every value against its field's rule and builds the dataclass. So the keys a section
accepts, and what each key accepts, are stated once: on the dataclass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from ..errors import RefusedError

T = TypeVar("T")
RULE = "rule"  # the metadata key of a field's rule
INTERNAL = "internal"  # metadata flag: a field that is not written in YAML (e.g. ``source``)


class ConfigError(RefusedError, ValueError):
    """A config file or override that cannot be used; the message says why and how to fix it."""


@dataclass(frozen=True)
class Rule:
    """What one field of a config accepts.

    Attributes:
        kinds: The accepted types (a boolean is never taken for a number).
        what: How the message names an accepted value, e.g. ``a number in [0, 1]``.
        optional: Whether null (None) is accepted too.
        test: A further test of a value of the right type.
    """

    kinds: tuple[type, ...]
    what: str
    optional: bool = False
    test: Callable[[Any], bool] | None = None

    def accepts(self, value: object) -> bool:
        """Whether ``value`` passes the rule."""
        if value is None:
            return self.optional
        if isinstance(value, bool) and bool not in self.kinds:
            return False
        if not isinstance(value, self.kinds):
            return False
        return self.test is None or bool(self.test(value))


def flag() -> dict[str, Rule]:
    """A field that is ``true`` or ``false``."""
    return {RULE: Rule((bool,), "true or false")}


def text(*, optional: bool = False) -> dict[str, Rule]:
    """A field that is text (or null, if ``optional``)."""
    return {RULE: Rule((str,), "text", optional=optional)}


def integer(*, low: int | None = None, optional: bool = False) -> dict[str, Rule]:
    """A field that is a whole number, at least ``low`` if given."""
    what = "an integer" if low is None else f"an integer of at least {low}"
    test = None if low is None else (lambda value: value >= low)
    return {RULE: Rule((int,), what, optional=optional, test=test)}


def number(
    *,
    low: float,
    high: float | None = None,
    open_low: bool = False,
    open_high: bool = False,
    optional: bool = False,
) -> dict[str, Rule]:
    """A field that is a number in an interval (closed unless ``open_low``/``open_high``)."""
    interval = f"{'(' if open_low else '['}{low}, {'inf' if high is None else high}"
    interval += ")" if open_high or high is None else "]"

    def inside(value: float) -> bool:
        above = value > low if open_low else value >= low
        below = high is None or (value < high if open_high else value <= high)
        return above and below

    return {RULE: Rule((int, float), f"a number in {interval}", optional=optional, test=inside)}


def choice(*values: object, optional: bool = False) -> dict[str, Rule]:
    """A field that is one of ``values``."""
    shown = ", ".join(str(value) for value in values)
    return {
        RULE: Rule((object,), f"one of {shown}", optional=optional, test=lambda v: v in values)
    }


def names(*, optional: bool = False, empty: bool = False) -> dict[str, Rule]:
    """A field that is a list of names (column names...), or null if ``optional``.

    The list may be empty only if ``empty``.
    """

    def all_names(value: list) -> bool:
        named = all(isinstance(item, str) and item.strip() for item in value)
        return named and (empty or bool(value))

    return {RULE: Rule((list,), "a list of names", optional=optional, test=all_names)}


def numbers_by_name() -> dict[str, Rule]:
    """A field that maps names to numbers, e.g. ``{roc_auc: 0.8}``."""

    def named_numbers(value: dict) -> bool:
        return all(
            isinstance(key, str) and type(number) in (int, float) for key, number in value.items()
        )

    return {RULE: Rule((dict,), "a mapping of metric names to numbers", test=named_numbers)}


def check(name: str, value: object, rule: Rule) -> None:
    """Refuse a value its rule does not accept, naming the key and what it accepts."""
    if not rule.accepts(value):
        raise ConfigError(f"{name} must be {rule.what}, got {value!r}")


def yaml_keys(spec: type) -> list[str]:
    """The keys of a section in YAML: its dataclass's fields, but for internal ones."""
    return [item.name for item in fields(spec) if not item.metadata.get(INTERNAL)]


def reject_unknown_keys(section: str, raw: Mapping[str, Any], allowed: list[str]) -> None:
    """Refuse keys a section does not have, listing those it has."""
    unknown = sorted(str(key) for key in set(raw) - set(allowed))
    if unknown:
        raise ConfigError(
            f"Unknown key(s) in {section}: {', '.join(unknown)}. "
            f"Expected: {', '.join(sorted(allowed))}"
        )


def parse_section(  # noqa: UP047 - `def parse_section[T]` needs Python 3.12; this runs on 3.10 too
    spec: type[T], section: str, raw: object, **defaults: object
) -> T:
    """Build a section's dataclass from its YAML mapping, checking every value.

    Args:
        spec: The section's dataclass.
        section: Its name in messages, e.g. ``promotion``.
        raw: The mapping read from YAML (None: the defaults).
        defaults: Values used where ``raw`` has none (e.g. the config's seed).

    Raises:
        ConfigError: Not a mapping, an unknown key, or a value its field's rule refuses.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"'{section}' must be a mapping, got {raw!r}")
    reject_unknown_keys(section, raw, yaml_keys(spec))
    values = {**defaults, **raw}
    for item in fields(spec):
        rule = item.metadata.get(RULE)
        if rule is not None and item.name in values:
            check(f"{section}.{item.name}", values[item.name], rule)
    return spec(**values)
