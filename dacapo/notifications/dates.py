"""French dates for messages, with Babel, in the campaign's time zone.

Instants are stored in UTC; families read them in the conservatoire's local
time: ``mercredi 24 mai 2023 à 23 h 59``. The first day of a month is written
« 1er », as French typography wants (« jeudi 1er juin 2023 »).

Babel takes tens of microseconds a call, and a dispatcher writes the same few
days (window dates, deadlines) into every message: day and month names are
cached per date (pure functions of the date).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date

LOCALE = "fr_FR"


def _zone(zone: ZoneInfo | str) -> ZoneInfo:
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)


def _local(instant: dt.datetime, zone: ZoneInfo | str) -> dt.datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"an instant must carry a time zone (got naive {instant.isoformat()})")
    return instant.astimezone(_zone(zone))


def _day_number(day: dt.date) -> str:
    return "1er" if day.day == 1 else str(day.day)


@lru_cache(maxsize=4096)
def _month(day: dt.date, *, year: bool = True) -> str:
    return format_date(day, "MMMM y" if year else "MMMM", locale=LOCALE)


def _as_date(day: dt.date) -> dt.date:
    if isinstance(day, dt.datetime):
        raise TypeError("expected a date, got a datetime: use format_instant for an instant")
    return day


def format_day(day: dt.date) -> str:
    """``mercredi 24 mai 2023``."""
    return _format_day(_as_date(day))


@lru_cache(maxsize=4096)
def _format_day(day: dt.date) -> str:
    weekday = format_date(day, "EEEE", locale=LOCALE)
    return f"{weekday} {_day_number(day)} {_month(day)}"


def format_time(instant: dt.datetime, zone: ZoneInfo | str) -> str:
    """``23 h 59`` (local time)."""
    return _clock(_local(instant, zone))


def _clock(local: dt.datetime) -> str:
    return f"{local:%H} h {local:%M}"


def format_instant(instant: dt.datetime, zone: ZoneInfo | str) -> str:
    """``mercredi 24 mai 2023 à 23 h 59`` (local time); naive datetimes are refused."""
    local = _local(instant, zone)
    return f"{format_day(local.date())} à {_clock(local)}"


def format_short(instant: dt.datetime, zone: ZoneInfo | str) -> str:
    """``24/05 à 23 h 59``: for SMS, digits only (month names such as « août »
    are not all in the GSM-7 alphabet)."""
    local = _local(instant, zone)
    return f"{local:%d/%m} à {_clock(local)}"


def format_period(first: dt.date, last: dt.date) -> str:
    """``du 10 au 24 mai 2023``, ``du 29 mai au 2 juin 2023``,
    ``du 20 décembre 2023 au 5 janvier 2024`` (both days inclusive)."""
    first, last = _as_date(first), _as_date(last)
    if first > last:
        raise ValueError(f"a period cannot end ({last}) before it starts ({first})")
    if first == last:
        return f"le {format_day(first)}"
    if (first.year, first.month) == (last.year, last.month):
        start = _day_number(first)
    elif first.year == last.year:
        start = f"{_day_number(first)} {_month(first, year=False)}"
    else:
        start = f"{_day_number(first)} {_month(first)}"
    return f"du {start} au {_day_number(last)} {_month(last)}"


def format_short_period(first: dt.date, last: dt.date) -> str:
    """``du 05/06 au 30/06/2023``: digits only, for SMS."""
    first, last = _as_date(first), _as_date(last)
    return f"du {first:%d/%m} au {last:%d/%m/%Y}"
