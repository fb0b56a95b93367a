"""Hypothesis strategies for phone spellings and instants around window boundaries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

SEPARATORS = ("", " ", ".", "-")
ZONES = tuple(ZoneInfo(z) for z in ("UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo"))
LETTERS = "abcdefghijklmnopqrstuvwxyzéèàçABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _digits(count: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=count, max_size=count)


# Mainland mobile ranges: 06 (but 063x and 069x, partly overseas) and 073–079.
mainland_mobiles = st.one_of(
    st.builds(lambda d, rest: f"06{d}{rest}", st.sampled_from("0124578"), _digits(7)),
    st.builds(lambda d, rest: f"07{d}{rest}", st.sampled_from("3456789"), _digits(7)),
)
landlines = st.builds(lambda d, rest: f"0{d}{rest}", st.sampled_from("123459"), _digits(8))


def pairs(national: str) -> list[str]:
    return [national[i : i + 2] for i in range(0, len(national), 2)]


@st.composite
def spellings(draw: st.DrawFn, national: str) -> str:
    """``national`` (0 + 9 digits) as a family might type it."""
    sep = draw(st.sampled_from(SEPARATORS))
    style = draw(st.sampled_from(("national", "+33", "0033")))
    if style == "national":
        return sep.join(pairs(national))
    rest = national[1:]
    groups = [rest[0], *pairs(rest[1:])]
    return style + (" " if sep else "") + sep.join(groups)


@st.composite
def spelled_mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """(a mainland mobile's 10 digits, one spelling of it)."""
    national = draw(mainland_mobiles)
    return national, draw(spellings(national))


words = st.text(alphabet=LETTERS, min_size=1, max_size=12)


def instants_around(boundary: dt.datetime, days: int = 2) -> st.SearchStrategy[dt.datetime]:
    """Aware instants within ±``days`` of ``boundary``, shown in one of several zones."""
    span = dt.timedelta(days=days)
    return st.builds(
        lambda offset, zone: (boundary + offset).astimezone(zone),
        st.timedeltas(min_value=-span, max_value=span),
        st.sampled_from(ZONES),
    )
