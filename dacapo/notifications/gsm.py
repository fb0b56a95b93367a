"""SMS length: the GSM 03.38 alphabet, septets and segments.

An SMS is sent in GSM-7 when every character is in the basic set or its
extension table (an extension character costs two septets: escape + code):
160 septets fit in one message, 153 per part once it is split. One
character outside GSM-7 and the whole message goes out in UCS-2: 70 units in
one message, 67 per part. We report which encoding applies and why; we never
rewrite the text.

French traps: é è à ù ì ò É Ç are in the basic set, but ç (lower case), ê, â,
î, ô, û, ë, ï, À, œ, « », ’ and the non-breaking space are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# GSM 03.38 basic character set, in code order 0x00-0x7F (0x1B is the escape).
BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets.
EXTENSION = "\f^{}\\[~]|€"

_BASIC = frozenset(BASIC) - {"\x1b"}
_EXTENSION = frozenset(EXTENSION)

Encoding = Literal["gsm7", "ucs2"]


@dataclass(frozen=True)
class SmsLength:
    encoding: Encoding
    units: int  # septets in GSM-7, UTF-16 code units in UCS-2
    segments: int
    non_gsm: tuple[str, ...]  # the characters that forced UCS-2, in order of appearance


def non_gsm_characters(text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for char in text:
        if char not in _BASIC and char not in _EXTENSION:
            seen.setdefault(char, None)
    return tuple(seen)


def _segments(widths: list[int], single: int, part: int) -> int:
    total = sum(widths)
    if total == 0:
        return 0
    if total <= single:
        return 1
    parts, used = 1, 0
    for width in widths:  # a two-unit character is never split across parts
        if used + width > part:
            parts, used = parts + 1, 0
        used += width
    return parts


def measure(text: str) -> SmsLength:
    """How ``text`` goes out as an SMS."""
    non_gsm = non_gsm_characters(text)
    if not non_gsm:
        widths = [2 if char in _EXTENSION else 1 for char in text]
        return SmsLength("gsm7", sum(widths), _segments(widths, 160, 153), ())
    widths = [2 if ord(char) > 0xFFFF else 1 for char in text]
    return SmsLength("ucs2", sum(widths), _segments(widths, 70, 67), non_gsm)
