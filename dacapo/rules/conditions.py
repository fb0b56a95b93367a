"""Structured conditions (``when:``) evaluated over a dossier snapshot, never as code."""

from __future__ import annotations

import datetime as dt

from dacapo.campaigns.schema import Condition
from dacapo.rules.fields import FieldValue, field_values
from dacapo.rules.snapshot import DossierSnapshot

Tested = str | int | bool


def is_present(value: FieldValue) -> bool:
    """A value counts once filled: a non-blank string, a date, a boolean (even False)."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return True


def _same(value: FieldValue, expected: Tested) -> bool:
    # Booleans only equal booleans (True == 1 in Python); dates compare as ISO text.
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(expected, bool) and isinstance(value, bool) and value is expected
    if isinstance(value, dt.date):
        return value.isoformat() == str(expected)
    if isinstance(value, str):
        return value.strip() == (expected.strip() if isinstance(expected, str) else str(expected))
    return False


def _field_holds(condition: Condition, value: FieldValue) -> bool:
    if condition.present is not None:
        return is_present(value) is condition.present
    if condition.equals is not None:
        return _same(value, condition.equals)
    if condition.in_ is not None:
        return any(_same(value, choice) for choice in condition.in_)
    raise ValueError("a 'field' condition needs one of 'equals', 'in', 'present'")


def holds(condition: Condition, snapshot: DossierSnapshot, school_year_starts: dt.date) -> bool:
    """Whether ``condition`` is true of the dossier.

    A ``guardian.*`` field holds when any guardian's value does; a family without
    guardians holds nothing about them.
    """
    if condition.field is not None:
        values = field_values(snapshot, condition.field, school_year_starts)
        return any(_field_holds(condition, value) for _, value in values)
    if condition.all is not None:
        return all(holds(c, snapshot, school_year_starts) for c in condition.all)
    if condition.any is not None:
        return any(holds(c, snapshot, school_year_starts) for c in condition.any)
    if condition.not_ is not None:
        return not holds(condition.not_, snapshot, school_year_starts)
    raise ValueError("empty condition")


def applies(
    condition: Condition | None, snapshot: DossierSnapshot, school_year_starts: dt.date
) -> bool:
    """``holds``, with no condition meaning « always »."""
    return condition is None or holds(condition, snapshot, school_year_starts)


def condition_fields(condition: Condition) -> list[tuple[str, list[Tested] | None]]:
    """Every (field, values it is compared with) in the condition, in order.

    ``present`` tests compare with no value: their entry is ``(field, None)``.
    Static checks use this to refuse unknown fields and values outside a vocabulary.
    """
    if condition.field is not None:
        if condition.equals is not None:
            return [(condition.field, [condition.equals])]
        if condition.in_ is not None:
            return [(condition.field, list(condition.in_))]
        return [(condition.field, None)]
    found: list[tuple[str, list[Tested] | None]] = []
    for member in [*(condition.all or []), *(condition.any or []), condition.not_]:
        if member is not None:
            found.extend(condition_fields(member))
    return found
