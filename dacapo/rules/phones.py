"""French mobile numbers for the SMS channel (« Champ SMS : UNIQUEMENT les 10 chiffres »).

Validation is phonenumbers' (numbering plans change; a regex would rot). We only
decide which spellings we take: the 10 national digits (``06 12 34 56 78``,
dots or hyphens between groups also read) or the international form
(``+33 6 12 34 56 78``, ``0033…``). Nothing else may be written in the field:
phonenumbers would quietly ignore ``mère`` after the digits, so we look first.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberType

from dacapo.rules.french import quoted

SMS_MESSAGE = "Numéro SMS : uniquement les 10 chiffres du mobile"

# Overseas departments and collectivities that dial 0 + 9 digits like mainland
# France, tried in this order when a national number is not a mainland one.
# (BL and MF share Guadeloupe's plan: parsing as GP gives the same E.164.)
OVERSEAS_REGIONS = ("RE", "YT", "GP", "MQ", "GF", "PM")
FRENCH_COUNTRY_CODES = frozenset({33, 262, 590, 594, 596, 508})
MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})

_SPELLING = re.compile(r"^\+?[0-9 .\-\u00a0\u202f]+$")
_SEPARATORS = re.compile(r"[ .\-\u00a0\u202f]")


def _refuse(detail: str) -> ValueError:
    return ValueError(f"{SMS_MESSAGE} — {detail}")


def _parse_national(digits: str) -> PhoneNumber | None:
    for region in ("FR", *OVERSEAS_REGIONS):
        number = phonenumbers.parse(digits, region)
        if phonenumbers.is_valid_number(number):
            return number
    return None


def _parse(text: str) -> PhoneNumber:
    shown = quoted(text)
    if not text:
        raise _refuse("aucun numéro saisi")
    if not _SPELLING.match(text) or not any(c.isdigit() for c in text):
        raise _refuse(f"{shown} n'est pas un numéro de mobile")
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+"):
        try:
            number = phonenumbers.parse(digits, None)
        except NumberParseException:
            raise _refuse(f"{shown} n'est pas un numéro de mobile") from None
        if number.country_code not in FRENCH_COUNTRY_CODES:
            raise _refuse(f"{shown} n'est pas un numéro de mobile français")
        if not phonenumbers.is_valid_number(number):
            raise _refuse(f"{shown} n'est pas un numéro de mobile")
        return number
    if len(digits) != 10:
        raise _refuse(f"{shown} compte {len(digits)} chiffres au lieu de 10")
    if not digits.startswith("0"):
        raise _refuse(f"{shown} doit commencer par 06 ou 07")
    found = _parse_national(digits)
    if found is None:
        raise _refuse(f"{shown} n'est pas un numéro de mobile")
    return found


def parse_fr_mobile(text: str) -> str:
    """The E.164 form of a French mobile (mainland or overseas), or ValueError in French."""
    text = text.strip()
    if _is_mainland_e164(text):  # how the store keeps them: no need to parse again
        return text
    ok, value = _parse_mobile(text)
    if not ok:
        raise ValueError(value)
    return value


_MAINLAND_E164 = re.compile(r"\+33([67][0-9]{8})")


@cache
def _mainland_mobiles() -> re.Pattern[str]:
    """phonenumbers' own pattern of French mainland mobiles (national digits, no 0)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("FR")
    pattern = metadata.mobile.national_number_pattern if metadata and metadata.mobile else None
    if pattern is None:
        raise RuntimeError("phonenumbers has no mobile pattern for France")
    return re.compile(pattern)


def _is_mainland_e164(text: str) -> bool:
    """``+33`` and a mainland mobile by phonenumbers' pattern: what parsing would return.

    The mobile pattern (06, 07) shares no number with France's other types, so
    such a number is valid and a mobile; sweeps meet tens of thousands of them.
    """
    found = _MAINLAND_E164.fullmatch(text)
    return found is not None and _mainland_mobiles().fullmatch(found[1]) is not None


@lru_cache(maxsize=16384)
def _parse_mobile(text: str) -> tuple[bool, str]:
    """Memoised: a campaign checks the same few thousand numbers again and again."""
    try:
        return True, _parse_fr_mobile(text)
    except ValueError as error:
        return False, str(error)


def _parse_fr_mobile(text: str) -> str:
    number = _parse(text)
    kind = phonenumbers.number_type(number)
    if kind not in MOBILE_TYPES:
        if kind is PhoneNumberType.FIXED_LINE:
            raise _refuse(f"{quoted(text)} est un numéro de fixe, pas un mobile")
        raise _refuse(f"{quoted(text)} n'est pas un numéro de mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_fr_mobile(e164: str) -> str:
    """``+33612345678`` → ``06 12 34 56 78``; ``+262692123456`` → ``06 92 12 34 56``."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        raise ValueError(f"{quoted(e164)} n'est pas un numéro au format international") from None
    national = "0" + phonenumbers.national_significant_number(number)
    if number.country_code not in FRENCH_COUNTRY_CODES or len(national) != 10:
        raise ValueError(f"{quoted(e164)} n'est pas un numéro de mobile français")
    return " ".join(national[i : i + 2] for i in range(0, 10, 2))
