"""Rolling a campaign file over to a later school year, comments and layout kept.

Dates move by whole years (29 February becomes the 28th), ``tax_year`` and
``income_year`` follow, the school year is rewritten where free text names it,
and standalone years in document labels move too (« Avis d'imposition 2022 sur
les revenus 2021 »). Addresses (URLs, emails) are never touched. The result is
meant for review: warnings name every moved date that falls on a Sunday or a
French public holiday, and every text or comment that still names an old year.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import holidays
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import ScalarString
from ruamel.yaml.tokens import CommentToken

SCHOOL_YEAR = re.compile(r"^(\d{4})/(\d{4})$")
YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
YEAR_COUNTERS = frozenset({"tax_year", "income_year"})
ADDRESS_KEYS = frozenset({"url", "email", "templates_dir"})

Path = tuple[str | int, ...]
Scalar = str | int | dt.date


class Change(NamedTuple):
    path: str
    old: Scalar
    new: Scalar


@dataclass(frozen=True)
class RollResult:
    text: str
    warnings: list[str]
    changes: list[Change]


def roll(text: str, to_year: str, *, source_name: str) -> RollResult:
    """``text`` moved to the school year ``to_year`` (``"2024/2025"``); ValueError if not later."""
    yaml = _yaml()
    document = yaml.load(text)
    if not isinstance(document, CommentedMap):
        raise ValueError(f"{source_name}: a campaign file holds a mapping at its top level")
    current = document.get("school_year")
    first = _first_year(current, f"{source_name}: school_year")
    target = _first_year(to_year, "the target school year")
    if target <= first:
        raise ValueError(
            f"the target school year {to_year} must be later than the campaign's {current}"
        )
    warnings = []
    if _dump(yaml, document).rstrip("\n") != text.rstrip("\n"):
        warnings.append(
            f"{source_name}: its layout differs from the project's (indents of 2, sequences 4 "
            "with the dash at 2): lines other than the changed values are reformatted"
        )
    roller = _Roller(source_name, first, target - first)
    roller.walk(document, ())
    return RollResult(_dump(yaml, document), warnings + roller.warnings, roller.changes)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never refold long plain scalars
    return yaml


def _dump(yaml: YAML, document: Any) -> str:
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _first_year(value: object, what: str) -> int:
    match = SCHOOL_YEAR.match(value) if isinstance(value, str) else None
    if match is None or int(match[2]) != int(match[1]) + 1:
        raise ValueError(f"{what} must read 'YYYY/YYYY+1', such as '2024/2025' (got {value!r})")
    return int(match[1])


def shift(day: dt.date, years: int) -> dt.date:
    """``day`` moved by whole years; 29 February becomes the 28th in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass
class _Roller:
    source: str
    first: int
    years: int
    warnings: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    _holidays: dict[int, Any] = field(default_factory=dict)

    def walk(self, node: CommentedMap | CommentedSeq, path: Path) -> None:
        self._check_comments(node)
        entries = list(node.items() if isinstance(node, CommentedMap) else enumerate(node))
        for key, value in entries:
            here = (*path, key)
            if isinstance(value, CommentedMap | CommentedSeq):
                self.walk(value, here)
                continue
            line, column = (
                node.lc.value(key) if isinstance(node, CommentedMap) else node.lc.item(key)
            )
            where = f"{self.source}:{line + 1}:{column + 1}: {_dotted(here)}"
            new = self._rolled(here, value)
            if new == value:
                named = self._old_years(value) if isinstance(value, str) else ""
                if named:
                    self.warnings.append(f"{where}: still names {named}; check it")
                continue
            node[key] = new
            self.changes.append(Change(_dotted(here), _plain(value), _plain(new)))
            if isinstance(new, dt.date):
                self._check_day(where, value, new)

    def _rolled(self, path: Path, value: object) -> object:
        key = path[-1]
        if isinstance(value, bool | dt.datetime):
            return value
        if isinstance(value, dt.date):
            return shift(value, self.years)
        if isinstance(value, int):
            return value + self.years if key in YEAR_COUNTERS else value
        if not isinstance(value, str) or key in ADDRESS_KEYS or "://" in value or "@" in value:
            return value
        start = self.first + self.years
        if path == ("school_year",):
            new = f"{start}/{start + 1}"
        elif path == ("house_rules", "version") and re.fullmatch(r"\d{4}", value):
            new = str(int(value) + self.years)
        elif _is_document_text(path):
            new = YEAR.sub(self._moved_year, value)
        else:
            old = rf"(?<!\d){self.first}([-/–_]){self.first + 1}(?!\d)"
            new = re.sub(old, rf"{start}\g<1>{start + 1}", value)
        return _restyled(value, new)

    def _moved_year(self, match: re.Match[str]) -> str:
        year = int(match[0])
        return str(year + self.years) if 1900 <= year <= 2100 else match[0]

    def _old_years(self, text: str) -> str:
        old = {str(self.first), str(self.first + 1)}
        return ", ".join(dict.fromkeys(y for y in YEAR.findall(text) if y in old))

    def _check_day(self, where: str, old: dt.date, day: dt.date) -> None:
        if (old.month, old.day) == (2, 29) and day.day == 28:
            self.warnings.append(f"{where}: {old.isoformat()} moved to {day.isoformat()}")
        if day.year not in self._holidays:
            self._holidays[day.year] = holidays.country_holidays("FR", years=day.year)
        holiday = self._holidays[day.year].get(day)
        sunday = day.weekday() == 6
        if sunday and holiday:
            what = f"a Sunday and a public holiday in France ({holiday})"
        elif holiday:
            what = f"a public holiday in France ({holiday})"
        elif sunday:
            what = "a Sunday"
        else:
            return
        self.warnings.append(f"{where}: {day.isoformat()} is {what}")

    def _check_comments(self, node: CommentedMap | CommentedSeq) -> None:
        attached = [node.ca.comment, list(node.ca.items.values()), node.ca.end]
        for token in _tokens(attached):
            # A token may start with the newlines of blank lines before it; its
            # start mark is the line of its first comment.
            lines = token.value.lstrip("\n").split("\n")
            for offset, text in enumerate(lines):
                named = self._old_years(text)
                if named:
                    line = token.start_mark.line + offset + 1
                    self.warnings.append(
                        f"{self.source}:{line}: a comment still names {named}: {text.strip()}"
                    )


def _tokens(attached: object) -> Iterator[CommentToken]:
    if isinstance(attached, CommentToken):
        yield attached
    elif isinstance(attached, list):
        for part in attached:
            yield from _tokens(part)


def _is_document_text(path: Path) -> bool:
    """A document's label (or deferral note): its standalone years move with the dates."""
    match path:
        case ("requirements", "documents", _, "label") | ("document_kinds", _, "label"):
            return True
        case ("requirements", "documents", _, "deferred", "note"):
            return True
        case _:
            return False


def _restyled(old: str, new: str) -> str:
    """``new`` written as ``old`` was (quotes, folding): our edits keep the length."""
    if new == old or not isinstance(old, ScalarString):
        return old if new == old else new
    styled: ScalarString = type(old)(new)
    for cls in type(old).__mro__:
        slots = getattr(cls, "__slots__", ())
        for slot in (slots,) if isinstance(slots, str) else slots:
            if hasattr(old, slot) and (slot != "fold_pos" or len(new) == len(old)):
                setattr(styled, slot, getattr(old, slot))
    return styled


def _plain(value: object) -> Scalar:
    if isinstance(value, dt.date | int):
        return value
    return str(value)


def _dotted(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text
