"""Mobiles as the store keeps them (E.164) are read without parsing, with the same answer."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dacapo.rules.phones import _is_mainland_e164, _parse_mobile, parse_fr_mobile


def full(text: str) -> tuple[bool, str]:
    """What phonenumbers says, through the whole parse."""
    return _parse_mobile.__wrapped__(text)


def test_every_mobile_prefix_gets_the_parsed_answer() -> None:
    checked = 0
    for prefix in range(100, 1000):
        for rest in ("000000", "123456", "999999"):
            text = f"+33{prefix}{rest}"
            if _is_mainland_e164(text):
                assert full(text) == (True, text)
                checked += 1
            ok, value = full(text)
            assert (parse_fr_mobile(text) if ok else None) == (value if ok else None)
    assert checked > 300  # 06 and 07 numbers, overseas 069x and 0639 aside


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_any_plus_33_number_is_read_as_phonenumbers_reads_it(national: str) -> None:
    text = f"+33{national}"
    ok, value = full(text)
    if ok:
        assert parse_fr_mobile(text) == value
    else:
        assert not _is_mainland_e164(text)


def test_an_overseas_number_written_as_mainland_is_still_refused() -> None:
    assert not _is_mainland_e164("+33692123456")  # Réunion's 0692 is not a +33 mobile
    assert full("+33692123456")[0] is False
