"""Reading one cell: each reader returns the clean value or raises ValueError.

Cells arrive stripped and in NFC (``reading.Table.rows``). Names keep what they are
written with: accents, apostrophes (N'Diaye, N’Diaye), hyphens, spaces. Control and
bidirectional characters and over-long texts are refused by ``engine.texts``, as in
every other text typed into Da Capo.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Sequence

from dacapo.engine.texts import MAX_LINE, text_problem

MAX_TEXT = MAX_LINE
MAX_REF = 64
OLDEST_BIRTH_YEAR = 1900

_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_FR_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_SPACE = re.compile(r"\s")
_LETTER = re.compile(r"[^\W\d_]")
# As rules.formats' fr_postcode: 01–95 mainland, 97 overseas, 98 Monaco and the Pacific.
_POSTCODE = re.compile(r"(?:0[1-9]|[1-8][0-9]|9[0-5]|97|98)[0-9]{3}")


def text(value: str, limit: int = MAX_TEXT) -> str:
    """Free text (an address, a school): line feeds allowed (``engine.texts``)."""
    problem = text_problem(value, limit=limit, lines=True)
    if problem is not None:
        raise ValueError(problem)
    return value


def ref(value: str) -> str:
    problem = text_problem(value, limit=MAX_REF)
    if problem is not None:
        raise ValueError(problem)
    if _SPACE.search(value):
        raise ValueError(f"{value!r} is not a reference: it holds a space")
    return value


def name(value: str) -> str:
    """One line (``engine.texts``) with at least one letter."""
    problem = text_problem(value, limit=MAX_TEXT)
    if problem is not None:
        raise ValueError(problem)
    if not _LETTER.search(value):
        raise ValueError(f"{value!r} is not a name: it holds no letter")
    return value


def postcode(value: str) -> str:
    if _POSTCODE.fullmatch(value):
        return value
    if len(value) == 4 and value.isascii() and value.isdigit():
        raise ValueError(
            f"{value!r} is not a postcode (5 digits); did the spreadsheet drop a "
            f"leading zero? (0{value}: format the column as text)"
        )
    raise ValueError(f"{value!r} is not a French postcode (5 digits)")


def birth_date(value: str) -> dt.date:
    if found := _ISO_DATE.fullmatch(value):
        year, month, day = (int(g) for g in found.groups())
    elif found := _FR_DATE.fullmatch(value):
        day, month, year = (int(g) for g in found.groups())
    else:
        raise ValueError(f"{value!r} is not a date: write DD/MM/YYYY or YYYY-MM-DD")
    try:
        date = dt.date(year, month, day)
    except ValueError as error:
        raise ValueError(f"{value!r} is an impossible date ({error})") from None
    if year < OLDEST_BIRTH_YEAR:
        raise ValueError(f"{value!r} is before {OLDEST_BIRTH_YEAR}: a typing error?")
    return date


def _key(value: str) -> str:
    """``Théâtre`` → ``theatre``, ``Cycle 1`` → ``cycle_1``."""
    bare = "".join(c for c in unicodedata.normalize("NFD", value) if not unicodedata.combining(c))
    return re.sub(r"[\s\-]+", "_", bare.casefold())


class Vocabulary:
    """The campaign's codes for one column; spelling is forgiven, not the word."""

    def __init__(self, kind: str, codes: Sequence[str] | None) -> None:
        self.kind = kind
        self.codes = list(codes) if codes is not None else None
        self._by_key = {_key(c): c for c in self.codes or ()}
        self._known: dict[str, str] = {}

    def __call__(self, value: str) -> str:
        if self.codes is None:
            return text(value)
        code = self._known.get(value) or self._by_key.get(_key(value))
        if code is not None:
            self._known[value] = code
            return code
        message = f"unknown {self.kind} {value!r}"
        close = difflib.get_close_matches(_key(value), list(self._by_key), n=1, cutoff=0.6)
        if close:
            message += f"; did you mean {self._by_key[close[0]]!r}?"
        raise ValueError(f"{message} (expected one of: {', '.join(self.codes)})")
