"""French dates, in the campaign's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dacapo.notifications.dates import (
    format_day,
    format_instant,
    format_period,
    format_short,
    format_short_period,
)

PARIS = ZoneInfo("Europe/Paris")


def test_a_summer_instant_reads_in_paris_time() -> None:
    instant = dt.datetime(2023, 5, 24, 21, 59, tzinfo=dt.UTC)
    assert format_instant(instant, PARIS) == "mercredi 24 mai 2023 à 23 h 59"


def test_a_winter_instant_is_one_hour_ahead_of_utc() -> None:
    instant = dt.datetime(2024, 1, 15, 8, 5, tzinfo=dt.UTC)
    assert format_instant(instant, "Europe/Paris") == "lundi 15 janvier 2024 à 09 h 05"


def test_an_instant_given_in_another_zone_is_converted() -> None:
    instant = dt.datetime(2023, 5, 24, 17, 59, tzinfo=ZoneInfo("America/New_York"))
    assert format_instant(instant, PARIS) == "mercredi 24 mai 2023 à 23 h 59"


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_instant(dt.datetime(2023, 5, 24, 23, 59), PARIS)


def test_a_day_is_written_with_its_weekday_in_lower_case() -> None:
    assert format_day(dt.date(2023, 5, 24)) == "mercredi 24 mai 2023"


def test_the_first_of_the_month_is_written_1er() -> None:
    assert format_day(dt.date(2023, 6, 1)) == "jeudi 1er juin 2023"


def test_format_day_refuses_an_instant() -> None:
    with pytest.raises(TypeError):
        format_day(dt.datetime(2023, 5, 24, tzinfo=dt.UTC))


def test_periods_name_the_month_and_year_once_when_they_are_shared() -> None:
    assert format_period(dt.date(2023, 5, 10), dt.date(2023, 5, 24)) == "du 10 au 24 mai 2023"
    assert format_period(dt.date(2023, 5, 29), dt.date(2023, 6, 2)) == "du 29 mai au 2 juin 2023"
    assert (
        format_period(dt.date(2023, 12, 20), dt.date(2024, 1, 5))
        == "du 20 décembre 2023 au 5 janvier 2024"
    )


def test_sms_dates_use_digits_only() -> None:
    instant = dt.datetime(2023, 8, 1, 8, 0, tzinfo=dt.UTC)  # « août » is not GSM-7
    assert format_short(instant, PARIS) == "01/08 à 10 h 00"
    assert (
        format_short_period(dt.date(2023, 6, 5), dt.date(2023, 6, 30)) == "du 05/06 au 30/06/2023"
    )
