"""Windows as instants: inclusive local dates become half-open UTC intervals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dacapo.campaigns.schema import Campaign, Window

UTC = dt.UTC


def require_aware(now: dt.datetime, what: str = "now") -> dt.datetime:
    """Refuse naive datetimes at the boundary: a naive instant is ambiguous."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"{what} must carry a time zone (got naive {now.isoformat()})")
    return now


def local_instant(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of a local wall-clock time (first occurrence on DST nights)."""
    return dt.datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Interval:
    """``[start, end)`` in UTC."""

    start: dt.datetime
    end: dt.datetime

    def contains(self, now: dt.datetime) -> bool:
        return self.start <= require_aware(now).astimezone(UTC) < self.end


def window_interval(
    campaign: Campaign, window: Window, deadline: dt.date | None = None
) -> Interval:
    """The window's instants; ``deadline`` (a per-dossier extension) replaces its last day.

    ``closes`` is inclusive: without ``closes_at`` the window stays open until the
    end of that local day (``23:59:59.999999``), i.e. until the next local midnight.
    """
    zone = campaign.zone
    start = local_instant(window.opens, window.opens_at or dt.time(0, 0), zone)
    last_day = max(window.closes, deadline) if deadline else window.closes
    if window.closes_at is not None and last_day == window.closes:
        end = local_instant(last_day, window.closes_at, zone)
    else:
        end = local_instant(last_day + dt.timedelta(days=1), dt.time(0, 0), zone)
    return Interval(start, end)


def is_open(
    campaign: Campaign, window_name: str, now: dt.datetime, deadline: dt.date | None = None
) -> bool:
    return window_interval(campaign, campaign.windows[window_name], deadline).contains(now)


def format_local(instant: dt.datetime, zone: ZoneInfo) -> str:
    """``24/05/2023 23:59`` in the campaign's zone, for French messages."""
    return instant.astimezone(zone).strftime("%d/%m/%Y %H:%M")
