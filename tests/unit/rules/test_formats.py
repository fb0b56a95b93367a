"""Formats of emails, postcodes and birth dates, and the closed format registry."""

from __future__ import annotations

import datetime as dt

import pytest

from dacapo.rules import FORMATS
from tests.unit.rules.conftest import CAMPAIGN, NOW, PARIS


def check(name: str, value: object, now: dt.datetime = NOW) -> str | None:
    return FORMATS[name](value, CAMPAIGN, now)  # type: ignore[arg-type]


def test_the_registry_holds_exactly_the_four_formats_campaigns_may_name() -> None:
    assert set(FORMATS) == {"fr_mobile", "email", "fr_postcode", "birth_date"}
    assert all(FORMATS[name].name == name and FORMATS[name].description for name in FORMATS)


def test_the_registry_cannot_be_extended_at_run_time() -> None:
    with pytest.raises(TypeError):
        FORMATS["iban"] = FORMATS["email"]  # type: ignore[index]


def test_every_format_named_by_the_bundled_campaign_exists() -> None:
    assert set(CAMPAIGN.requirements.formats.values()) <= set(FORMATS)


class TestEmail:
    @pytest.mark.parametrize(
        "value", ["marie.dupont@example.fr", "  marie@free.fr ", "zoé.martin@laposte.net"]
    )
    def test_a_well_formed_address_is_accepted(self, value: str) -> None:
        assert check("email", value) is None

    @pytest.mark.parametrize(
        "value", ["marie.dupont", "marie@free", "marie dupont@free.fr", "Marie <m@free.fr>"]
    )
    def test_a_malformed_address_is_refused_with_the_value_quoted(self, value: str) -> None:
        assert check("email", value) == f"Adresse email invalide : « {value.strip()} »"

    def test_the_domain_is_not_looked_up(self) -> None:
        assert check("email", "quelquun@domaine-qui-n-existe-pas-encore.fr") is None


class TestPostcode:
    @pytest.mark.parametrize(
        "value", ["92240", "01000", "20000", "75015", "95880", "97400", "98000"]
    )
    def test_french_postcodes_are_accepted(self, value: str) -> None:
        assert check("fr_postcode", value) is None

    @pytest.mark.parametrize(
        "value",
        ["9224", "922400", "2A004", "00100", "96100", "99000", "92 240", "F-92240", "abcde"],
    )
    def test_other_codes_are_refused(self, value: str) -> None:
        assert check("fr_postcode", value) == f"Code postal invalide : « {value} » (5 chiffres)"


class TestBirthDate:
    def test_a_pupil_born_in_2012_is_plausible(self) -> None:
        assert check("birth_date", dt.date(2012, 3, 14)) is None

    def test_a_date_after_today_is_in_the_future(self) -> None:
        assert check("birth_date", dt.date(2023, 5, 16)) == (
            "Date de naissance dans le futur : 16/05/2023"
        )

    def test_today_is_judged_in_the_campaign_zone(self) -> None:
        # 23:30 on 15 May in New York is already 16 May in Malakoff.
        evening = dt.datetime(2023, 5, 15, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
        assert "invraisemblable" in (check("birth_date", dt.date(2023, 5, 16), evening) or "")

    def test_a_child_under_two_on_the_first_day_of_the_school_year_is_implausible(self) -> None:
        assert check("birth_date", dt.date(2021, 9, 2)) == (
            "Date de naissance invraisemblable : 02/09/2021 (moins de 2 ans au 01/09/2023)"
        )

    def test_a_child_two_on_the_first_day_of_the_school_year_is_plausible(self) -> None:
        assert check("birth_date", dt.date(2021, 9, 1)) is None

    def test_more_than_110_years_old_is_implausible(self) -> None:
        assert check("birth_date", dt.date(1912, 9, 1)) == (
            "Date de naissance invraisemblable : 01/09/1912 (plus de 110 ans au 01/09/2023)"
        )

    def test_110_years_old_on_the_first_day_of_the_school_year_is_plausible(self) -> None:
        assert check("birth_date", dt.date(1912, 9, 2)) is None

    @pytest.mark.parametrize("value", ["14/03/2012", "2012-03-14"])
    def test_a_date_written_as_text_is_read(self, value: str) -> None:
        assert check("birth_date", value) is None

    def test_unreadable_text_is_refused(self) -> None:
        assert check("birth_date", "14 mars") == (
            "Date de naissance invalide : « 14 mars » (JJ/MM/AAAA)"
        )

    def test_a_naive_now_is_refused(self) -> None:
        with pytest.raises(ValueError, match="time zone"):
            check("birth_date", dt.date(2012, 3, 14), dt.datetime(2023, 5, 15, 10, 0))


def test_now_in_paris_is_the_reference_zone_of_the_bundled_campaign() -> None:
    assert CAMPAIGN.zone == PARIS
