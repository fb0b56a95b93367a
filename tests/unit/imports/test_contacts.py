"""The shortcuts for plain emails and mobiles give exactly what the full checks give."""

from __future__ import annotations

import random

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dacapo.engine.imports import contacts
from dacapo.rules.formats import parse_fr_mobile


def _validator(value: str) -> str | None:
    try:
        return str(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError:
        return None


def _ours_email(value: str) -> str | None:
    try:
        return contacts.email(value)
    except ValueError:
        return None


def _full_mobile(value: str) -> str | None:
    try:
        return parse_fr_mobile(value)
    except ValueError:
        return None


def _ours_mobile(value: str) -> str | None:
    try:
        return contacts.mobile(value)
    except ValueError:
        return None


label = st.text("abcXYZ019-", min_size=1, max_size=8)
local = st.lists(st.text("abcXYZ019_+-!#'", min_size=0, max_size=8), min_size=1, max_size=3)
tld = st.sampled_from(["fr", "COM", "re", "test", "localhost", "Local", "arpa", "x", "1fr", "f-r"])
emails = st.builds(
    lambda parts, labels, end: ".".join(parts) + "@" + ".".join([*labels, end]),
    local,
    st.lists(label, min_size=0, max_size=3),
    tld,
)


@settings(max_examples=500, deadline=None)
@given(emails)
@example("Marie.Dupont@Example.FR")
@example("info@example.fr")
@example("Postmaster@example.fr")
@example("a@xn--bcher-kva.fr")
@example("a@ab--cd.fr")
@example("a@example.test")
@example("a@sub.example.onion")
@example("a" * 64 + "@example.fr")
@example("a" * 65 + "@example.fr")
@example("a@" + "b" * 63 + ".fr")
@example("a@" + "b" * 64 + ".fr")
@example("a@" + ".".join(["b" * 60] * 4) + ".fr")
def test_the_email_shortcut_agrees_with_email_validator(value: str) -> None:
    assert _ours_email(value) == _validator(value)


def test_plain_emails_take_the_shortcut_with_the_domain_lowercased() -> None:
    assert contacts._plain_email("Marie.Dupont@Example.FR") == "Marie.Dupont@example.fr"
    assert contacts._plain_email("info@example.fr") is None  # RFC 2142 names: the full check


separators = st.sampled_from(["", " ", ".", "-"])


@settings(max_examples=500, deadline=None)
@given(
    prefix=st.sampled_from(["06", "07"]),
    digits=st.text("0123456789", min_size=8, max_size=8),
    seps=st.lists(separators, min_size=4, max_size=4),
)
def test_the_mobile_shortcut_agrees_with_parse_fr_mobile(
    prefix: str, digits: str, seps: list[str]
) -> None:
    pairs = [prefix[0] + prefix[1], digits[0:2], digits[2:4], digits[4:6], digits[6:8]]
    value = pairs[0] + "".join(s + p for s, p in zip(seps, pairs[1:], strict=True))
    assert _ours_mobile(value) == _full_mobile(value)


def test_every_06_and_07_block_agrees_with_parse_fr_mobile() -> None:
    rng = random.Random(2023)
    for block in range(600, 800):
        for _ in range(3):
            value = f"0{block}{rng.randrange(10**6):06d}"
            assert _ours_mobile(value) == _full_mobile(value), value


@pytest.mark.parametrize(
    ("value", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("07.61.23.45.67", "+33761234567"),
        ("0692 12 34 56", "+262692123456"),
        ("+33 6 12 34 56 78", "+33612345678"),
    ],
)
def test_mobiles_of_every_spelling_reach_e164(value: str, e164: str) -> None:
    assert contacts.mobile(value) == e164


def test_overseas_mobiles_go_through_the_full_check() -> None:
    assert contacts._plain_mobile("0692 12 34 56") is None
    assert contacts._plain_mobile("06 12 34 56 78") == "+33612345678"
