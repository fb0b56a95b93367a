"""SMS length in GSM-7 septets or UCS-2 units, and the number of parts."""

from __future__ import annotations

from dacapo.notifications.gsm import BASIC, EXTENSION, measure, non_gsm_characters


def test_the_basic_table_has_the_128_codes_of_gsm_03_38() -> None:
    assert len(BASIC) == 128
    assert len(set(BASIC)) == 128
    assert BASIC.index("é") == 0x05
    assert BASIC.index("Ç") == 0x09
    assert BASIC.index("É") == 0x1F
    assert BASIC.index("à") == 0x7F


def test_french_letters_outside_gsm7_are_found() -> None:
    assert non_gsm_characters("éèàùìòÉÇ") == ()
    assert non_gsm_characters("ça, fenêtre, « œuvre », À bientôt") == (
        "ç",
        "ê",
        "«",
        "œ",
        "»",
        "À",
        "ô",
    )


def test_160_septets_fit_one_message_and_161_need_two() -> None:
    assert measure("a" * 160).segments == 1
    assert measure("a" * 161).segments == 2
    assert measure("a" * 306).segments == 2
    assert measure("a" * 307).segments == 3


def test_extension_characters_count_two_septets_and_are_never_split() -> None:
    assert measure("€" * 80).units == 160
    assert measure("€" * 80).segments == 1
    # 152 septets then a two-septet character: it moves to the second part.
    assert measure("a" * 152 + "€" + "a" * 7).segments == 2
    assert all(measure(char).units == 2 for char in EXTENSION)


def test_one_character_outside_gsm7_switches_the_message_to_ucs2() -> None:
    length = measure("Réinscription à terminer, c'est « urgent »")
    assert length.encoding == "ucs2"
    assert length.non_gsm == ("«", "»")
    assert measure("ê" * 70).segments == 1
    assert measure("ê" * 71).segments == 2
    assert measure("ê" * 135).segments == 3


def test_an_empty_message_has_no_part() -> None:
    assert measure("").segments == 0
