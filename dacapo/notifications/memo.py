"""Outputs worth keeping: a template renders the same text for the same values.

A template has no clock, no randomness and cannot change what it is given: its
output depends only on the context variables it reads (those of the files it
includes, imports or extends too). When every one of them is a plain value
(text, a number, a date, or one of the context's frozen classes holding only
such values), the output is kept and reused for the next message with equal
values: the subject of a confirmation reads only ``campaign``, and is rendered
once per campaign instead of once per message. Whatever reads a list (the
pupils, the phones) or an object that could change is rendered every time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping

from jinja2 import meta

from dacapo.notifications.model import CONTEXT_CLASSES
from dacapo.notifications.sandbox import BudgetedSandbox

KEPT = 512  # outputs kept, the oldest dropped first
_PLAIN = frozenset({type(None), bool, int, float, str, dt.date, dt.datetime, *CONTEXT_CLASSES})
_ABSENT = object()  # a variable the context does not give


class Outputs:
    """Kept outputs of one environment's templates (forget them when files change)."""

    def __init__(self, environment: BudgetedSandbox) -> None:
        self.environment = environment
        self._reads: dict[str, tuple[str, ...] | None] = {}
        self._kept: dict[Hashable, str] = {}

    def key(self, filename: str, variables: Mapping[str, object]) -> Hashable | None:
        """What the output of ``filename`` depends on, or None when it cannot be kept."""
        if filename not in self._reads:
            found = self._names(filename, {filename})
            self._reads[filename] = None if found is None else tuple(sorted(found))
        names = self._reads[filename]
        if names is None:
            return None
        values = tuple(variables.get(name, _ABSENT) for name in names)
        if any(type(v) not in _PLAIN for v in values if v is not _ABSENT):
            return None
        try:
            hash(values)  # a frozen class holding a list is not a plain value
        except TypeError:
            return None
        return (filename, values)

    def get(self, key: Hashable) -> str | None:
        return self._kept.get(key)

    def keep(self, key: Hashable, text: str) -> None:
        while len(self._kept) >= KEPT:
            del self._kept[next(iter(self._kept))]
        self._kept[key] = text

    def clear(self) -> None:
        self._reads.clear()
        self._kept.clear()

    def _names(self, filename: str, seen: set[str]) -> set[str] | None:
        """The top-level names ``filename`` and the files it uses read; None if unknown
        (a file named by an expression, a file that does not parse)."""
        env = self.environment
        assert env.loader is not None
        try:
            source, path, _ = env.loader.get_source(env, filename)
            tree = env.parse_plain(source, filename, path)
            names = set(meta.find_undeclared_variables(tree))
        except Exception:  # rendering it will say what is wrong
            return None
        for other in meta.find_referenced_templates(tree):
            if other is None:
                return None
            if other not in seen:
                seen.add(other)
                found = self._names(other, seen)
                if found is None:
                    return None
                names |= found
        return names
