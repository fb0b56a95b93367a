"""« Champ SMS : inscrire UNIQUEMENT les 10 chiffres de votre numéro de mobile »."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dacapo.rules import FORMATS
from dacapo.rules.formats import SMS_MESSAGE, display_fr_mobile, parse_fr_mobile
from tests.unit.rules.conftest import CAMPAIGN, NOW
from tests.unit.rules.strategies import (
    landlines,
    mainland_mobiles,
    pairs,
    spelled_mobiles,
    spellings,
    words,
)


class TestAcceptedSpellings:
    @pytest.mark.parametrize(
        "text",
        [
            "06 12 34 56 78",
            "0612345678",
            "06.12.34.56.78",
            "06-12-34-56-78",
            "+33 6 12 34 56 78",
            "+33612345678",
            "0033612345678",
            "0033 6 12 34 56 78",
            "  06 12 34 56 78  ",
        ],
    )
    def test_mainland_mobile_spellings_all_give_the_same_number(self, text: str) -> None:
        assert parse_fr_mobile(text) == "+33612345678"
        assert display_fr_mobile(parse_fr_mobile(text)) == "06 12 34 56 78"

    def test_seven_mobiles_are_accepted(self) -> None:
        assert parse_fr_mobile("07 58 12 34 56") == "+33758123456"

    @pytest.mark.parametrize(
        ("text", "e164", "shown"),
        [
            ("0692 12 34 56", "+262692123456", "06 92 12 34 56"),  # La Réunion
            ("06 93 01 23 45", "+262693012345", "06 93 01 23 45"),  # La Réunion
            ("06 39 01 23 45", "+262639012345", "06 39 01 23 45"),  # Mayotte
            ("06 90 12 34 56", "+590690123456", "06 90 12 34 56"),  # Guadeloupe
            ("06 96 12 34 56", "+596696123456", "06 96 12 34 56"),  # Martinique
            ("06 97 12 34 56", "+596697123456", "06 97 12 34 56"),  # Martinique
            ("06 94 01 23 45", "+594694012345", "06 94 01 23 45"),  # Guyane
            ("+262 692 12 34 56", "+262692123456", "06 92 12 34 56"),
            ("00262692123456", "+262692123456", "06 92 12 34 56"),
        ],
    )
    def test_overseas_mobiles_written_nationally_find_their_territory(
        self, text: str, e164: str, shown: str
    ) -> None:
        assert parse_fr_mobile(text) == e164
        assert display_fr_mobile(e164) == shown

    @given(spelled_mobiles())
    def test_any_spelling_of_a_mobile_parses_to_one_number_and_displays_in_pairs(
        self, case: tuple[str, str]
    ) -> None:
        national, text = case
        e164 = parse_fr_mobile(text)
        assert e164 == "+33" + national[1:]
        assert display_fr_mobile(e164) == " ".join(pairs(national))


class TestRefusedSpellings:
    def refusal(self, text: str) -> str:
        with pytest.raises(ValueError, match=r"^Numéro SMS : uniquement les 10 chiffres") as error:
            parse_fr_mobile(text)
        return str(error.value)

    def test_a_word_after_the_digits_is_refused_with_the_guide_sentence(self) -> None:
        assert self.refusal("06 12 34 56 78 mère") == (
            "Numéro SMS : uniquement les 10 chiffres du mobile — "
            "« 06 12 34 56 78 mère » n'est pas un numéro de mobile"
        )

    @pytest.mark.parametrize("text", ["01 55 48 04 10", "05 56 12 34 56", "+33 1 55 48 04 10"])
    def test_landlines_are_refused_as_landlines(self, text: str) -> None:
        assert self.refusal(text).endswith("est un numéro de fixe, pas un mobile")

    def test_an_internet_box_number_is_refused(self) -> None:
        assert self.refusal("09 51 23 45 67").endswith("n'est pas un numéro de mobile")

    @pytest.mark.parametrize(
        ("text", "detail"),
        [
            ("06 12 34 56 7", "compte 9 chiffres au lieu de 10"),
            ("06 12 34 56 78 9", "compte 11 chiffres au lieu de 10"),
            ("612345678", "compte 9 chiffres au lieu de 10"),
            ("", "aucun numéro saisi"),
            ("   ", "aucun numéro saisi"),
            ("+44 7911 123456", "n'est pas un numéro de mobile français"),
            ("06 12 34 56 78 / 07 58 12 34 56", "n'est pas un numéro de mobile"),
            ("(06) 12 34 56 78", "n'est pas un numéro de mobile"),
            ("06+12345678", "n'est pas un numéro de mobile"),
            ("++33612345678", "n'est pas un numéro de mobile"),
            ("+33 6 12 34 56", "n'est pas un numéro de mobile"),
            ("--", "n'est pas un numéro de mobile"),
        ],
    )
    def test_wrong_lengths_and_stray_characters_are_refused_with_a_reason(
        self, text: str, detail: str
    ) -> None:
        assert self.refusal(text).endswith(detail)

    @given(landlines.flatmap(spellings))
    def test_any_spelling_of_a_landline_is_refused(self, text: str) -> None:
        self.refusal(text)

    @given(spelled_mobiles(), words, st.sampled_from(["", " ", " - ", "/"]))
    def test_a_mobile_followed_by_anything_written_is_refused(
        self, case: tuple[str, str], word: str, glue: str
    ) -> None:
        self.refusal(case[1] + glue + word)

    @given(mainland_mobiles, st.integers(min_value=0, max_value=9), words)
    def test_a_letter_inside_the_digits_is_refused(self, national: str, at: int, word: str) -> None:
        self.refusal(national[:at] + word[0] + national[at:])

    @given(mainland_mobiles, st.integers(min_value=1, max_value=14).filter(lambda n: n != 10))
    def test_a_number_of_the_wrong_length_is_refused(self, national: str, length: int) -> None:
        digits = (national * 2)[:length]
        self.refusal(" ".join(pairs(digits)))


class TestDisplay:
    def test_display_refuses_what_is_not_an_international_number(self) -> None:
        with pytest.raises(ValueError, match="format international"):
            display_fr_mobile("not a number")

    def test_display_refuses_a_foreign_number(self) -> None:
        with pytest.raises(ValueError, match="mobile français"):
            display_fr_mobile("+447911123456")


class TestFormatCheck:
    def test_the_fr_mobile_format_answers_none_for_a_mobile(self) -> None:
        assert FORMATS["fr_mobile"]("06 12 34 56 78", CAMPAIGN, NOW) is None

    def test_the_fr_mobile_format_answers_the_sms_sentence_otherwise(self) -> None:
        message = FORMATS["fr_mobile"]("06 12 34 56 78 nounou", CAMPAIGN, NOW)
        assert message is not None
        assert message.startswith(SMS_MESSAGE + " — ")
