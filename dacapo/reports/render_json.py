"""The report as JSON, for scripts: the ``Report`` dataclass, dates in ISO 8601.

Rates are fractions (0.425) or null; ``generated_at`` carries the campaign's
UTC offset; ``funnel.windows[].series[].counts`` has one number per
``funnel.days`` entry; ``call_list`` and ``deferred`` come last. Compact (no
indentation): at 100,000 dossiers the call list alone is tens of megabytes,
written by the json module's C encoder.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Sequence
from functools import cache
from operator import attrgetter
from typing import Any, TextIO

from dacapo.reports.model import Report


@cache
def _names(kind: type) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(kind))


@cache
def _values(kind: type) -> Callable[[Any], tuple[Any, ...]]:
    """The fields' values of a ``kind`` object as a tuple (``attrgetter``: in C)."""
    names = _names(kind)
    if len(names) == 1:
        return lambda value: (getattr(value, names[0]),)
    return attrgetter(*names)


def _plain(value: Any) -> Any:
    """What the encoder cannot write itself: the report's dataclasses and dates."""
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kind: type = type(value)
        return dict(zip(_names(kind), _values(kind)(value), strict=True))
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _entries(entries: Sequence[Any], families: dict[int, list[dict[str, Any]]]) -> list[Any]:
    """Call-list or deferred entries as dicts; a family's guardians (one tuple shared
    by its pupils' entries) turned into dicts once."""
    if not entries:
        return []
    kind: type = type(entries[0])
    names, values = _names(kind), _values(kind)
    found = []
    for entry in entries:
        plain = dict(zip(names, values(entry), strict=True))
        shared = entry.guardians
        guardians = families.get(id(shared))
        if guardians is None:
            guardians = families[id(shared)] = [_plain(g) for g in shared]
        plain["guardians"] = guardians
        found.append(plain)
    return found


LONG = ("call_list", "deferred")  # written last, a thousand entries at a time
CHUNK = 1000


def render_json(report: Report, out: TextIO) -> None:
    """One JSON object; the long lists go out in chunks, so that the text of the whole
    report (a few hundred megabytes of ``str`` at 100,000 dossiers) never is in memory."""

    def dumps(value: Any) -> str:
        return json.dumps(value, default=_plain, ensure_ascii=False, separators=(",", ":"))

    head = {name: getattr(report, name) for name in _names(Report) if name not in LONG}
    out.write(dumps(head)[:-1])
    families: dict[int, list[dict[str, Any]]] = {}
    for name in LONG:
        entries = getattr(report, name)
        out.write(f',"{name}":[')
        for start in range(0, len(entries), CHUNK):
            chunk = _entries(entries[start : start + CHUNK], families)
            out.write(("," if start else "") + dumps(chunk)[1:-1])
        out.write("]")
    out.write("}\n")
