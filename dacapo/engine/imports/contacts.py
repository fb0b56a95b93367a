"""Email addresses and mobile numbers, fast for the spellings that fill a file.

A 100,000-row file holds some 80,000 addresses and 70,000 mobiles: through
email_validator and phonenumbers that is over ten seconds. Most are written
the plain way (``prenom.nom@fournisseur.fr``, ``06 12 34 56 78``), and for
those the answer of the full check can be read off directly: the domain is
lower-cased, the number is a mainland mobile by phonenumbers' own pattern.
Anything else goes through the full check (``email_validator``, and
``rules.formats.parse_fr_mobile`` for numbers). Tests compare both paths.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

from dacapo.rules.formats import parse_fr_mobile

_PLAIN_EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9_+\-]{1,64}(?:\.[A-Za-z0-9_+\-]{1,64})*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+(?P<tld>[A-Za-z]{2,63}))"
)
_SPECIAL_USE = frozenset(SPECIAL_USE_DOMAIN_NAMES)
_CASE_INSENSITIVE = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)

_PLAIN_MOBILE = re.compile(r"0[67](?:[ .\-]?[0-9]){8}")
_SEPARATORS = re.compile(r"[ .\-]")


def _plain_email(value: str) -> str | None:
    found = _PLAIN_EMAIL.fullmatch(value)
    if (
        found is None
        or len(value) > 254
        or len(found["local"]) > 64
        or "--" in found["domain"]
        or found["tld"].lower() in _SPECIAL_USE
        or found["local"].lower() in _CASE_INSENSITIVE
    ):
        return None
    return f"{found['local']}@{found['domain'].lower()}"


@lru_cache(maxsize=65536)
def _checked_email(value: str) -> str:
    try:
        found = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"{value!r} is not a valid email address: {error}") from None
    return str(found.normalized)


def email(value: str) -> str:
    """The address with its domain in lower case (syntax only: no DNS)."""
    return _plain_email(value) or _checked_email(value)


@cache
def _mainland_mobile() -> re.Pattern[str]:
    """phonenumbers' pattern for French mainland mobiles (national digits, no 0)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("FR")
    pattern = metadata.mobile.national_number_pattern if metadata and metadata.mobile else None
    if pattern is None:
        raise RuntimeError("phonenumbers has no mobile pattern for France")
    return re.compile(pattern)


def _plain_mobile(value: str) -> str | None:
    if not _PLAIN_MOBILE.fullmatch(value):
        return None
    national = _SEPARATORS.sub("", value)[1:]
    return f"+33{national}" if _mainland_mobile().fullmatch(national) else None


@lru_cache(maxsize=65536)
def _checked_mobile(value: str) -> str:
    return parse_fr_mobile(value)


def mobile(value: str) -> str:
    """E.164 (``+33612345678``); refusals are rules.formats' French sentences."""
    return _plain_mobile(value) or _checked_mobile(value)
