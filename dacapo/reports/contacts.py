"""Guardians as the call list shows them: « Anne Durand 06 12 34 56 78 »."""

from __future__ import annotations

import re
from functools import lru_cache

from dacapo.reports.model import Guardian
from dacapo.rules.phones import display_fr_mobile
from dacapo.store.report_queries import Contact


def guardian(contact: Contact) -> Guardian:
    """A guardian as the lists show them: name, phone in display form, e-mail."""
    name = full_name(contact.first_name, contact.last_name) or f"Responsable {contact.position}"
    phone = display_phone(contact.mobile) if contact.mobile else None
    return Guardian(name, phone, contact.email)


def full_name(first: str | None, last: str | None) -> str:
    """``Zoé Martin``; either part alone; empty when both are."""
    if first and last:
        return f"{first} {last}"
    return first or last or ""


_FRENCH_E164 = re.compile(r"\+(?:33|262|508|590|594|596)(\d{9})")


@lru_cache(maxsize=4096)
def _display_slow(e164: str) -> str:
    try:
        return display_fr_mobile(e164)
    except ValueError:
        return e164  # not a French mobile: shown as stored


def display_phone(e164: str) -> str:
    """``+33612345678`` → ``06 12 34 56 78`` (as ``rules.phones.display_fr_mobile``).

    The stored numbers were validated on the way in: a French one is the country
    code and 9 digits, read here without phonenumbers (90 µs a number, 5 s for a
    city's guardians); anything else goes through ``display_fr_mobile``.
    """
    match = _FRENCH_E164.fullmatch(e164)
    if match is None:
        return _display_slow(e164)
    n = match[1]  # the 9 digits after the country code
    return f"0{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:9]}"
