"""Text typed by people — names, addresses, remarks, reasons — checked before it is stored.

What is stored is shown again: in the audit trail, in ``dossier show``, on a terminal, in
messages to families. So these are refused, wherever the text comes from (the family
import, a new pupil's wishes, ``--set``, ``--remarks``, ``--reason``):

- control characters (Unicode Cc): ESC starts terminal escape sequences (``ESC[2J``
  clears the screen), BEL rings, CR rewrites a line, and PostgreSQL refuses NUL in
  text outright. A line feed only where the text may hold several lines;
- bidirectional controls (U+202E and the others of Unicode's Bidi_Control): invisible,
  they reorder what is displayed after them (« Trojan Source »);
- line and paragraph separators (U+2028, U+2029): the line feed is the one break;
- texts longer than a person writes there.

Pure: the standard library only.
"""

from __future__ import annotations

import re

from dacapo.engine.errors import BadInput

MAX_LINE = 200  # a name, an address, a city, a school: as the family import
MAX_EMAIL = 254  # the longest address SMTP carries (RFC 5321 path, less the brackets)
# A reason is one line (`dossier audit` prints one per row) that the family may read too
# (a refused document): 1,000 characters, some 150 words, leave room for a full
# explanation and none for pasted documents. Remarks (« information complémentaire »,
# several lines) have the campaign's own limit: answers.remarks.max_length, 2,000 here.
MAX_REASON = 1000

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_SEPARATORS = "\u2028\u2029"
_NOT_IN_LINE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_BIDI}{_SEPARATORS}]")
_NOT_IN_LINES = re.compile(f"[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f{_BIDI}{_SEPARATORS}]")  # bar LF


def _kind(character: str) -> str:
    if character in _BIDI:
        return "a bidirectional control character"
    if character == "\r":
        return "a carriage return"
    if character in _SEPARATORS or character == "\n":
        return "a line break"
    return "a control character"


def text_problem(value: str, *, limit: int = MAX_LINE, lines: bool = False) -> str | None:
    """Why ``value`` cannot be stored (English, no value quoted), or None.

    ``lines``: the text may hold line feeds (remarks, an address), not other breaks.
    """
    if len(value) > limit:
        return f"too long: {len(value):,} characters, at most {limit:,}"
    found = (_NOT_IN_LINES if lines else _NOT_IN_LINE).search(value)
    if found is None:
        return None
    character = found.group()
    return f"holds {_kind(character)} (U+{ord(character):04X}) at character {found.start() + 1}"


def checked_text(value: str, what: str, *, limit: int = MAX_LINE, lines: bool = False) -> str:
    """``value``, or ``BadInput`` naming ``what`` (an option, a field) and the problem."""
    problem = text_problem(value, limit=limit, lines=lines)
    if problem is not None:
        raise BadInput(f"{what}: {problem}")
    return value


def reason_text(reason: str | None, what: str = "--reason") -> str | None:
    """A reason given for an action, stripped (None when empty), or ``BadInput``."""
    if reason is None or not reason.strip():
        return None
    return checked_text(reason.strip(), what, limit=MAX_REASON)
