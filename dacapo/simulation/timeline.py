"""Virtual time: the days of the campaign and the agenda of each instant.

The agenda holds what happens when: a family's sitting at the computer, a
staff member's review, a scheduler round. Entries run in instant order (then
in the order they were planned); an entry may plan more, later ones. Nothing
here reads the clock: instants are local wall-clock times of the campaign's
zone, turned into UTC.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import holidays

from dacapo.campaigns.windows import local_instant

Action = Callable[[dt.datetime], None]
ONE_DAY = dt.timedelta(days=1)


@dataclass(order=True)
class Entry:
    at: dt.datetime
    order: int
    label: str = field(compare=False)
    action: Action = field(compare=False, repr=False)


class Agenda:
    """What is planned, earliest first; ties in the order planned."""

    def __init__(self) -> None:
        self._heap: list[Entry] = []
        self._order = itertools.count()
        self.now: dt.datetime | None = None  # the instant of the entry running last

    def plan(self, at: dt.datetime, label: str, action: Action) -> None:
        """Plan ``action`` at ``at``; the past cannot be planned (time only moves on)."""
        if self.now is not None and at < self.now:
            raise ValueError(f"{label}: {at.isoformat()} is before {self.now.isoformat()}")
        heapq.heappush(self._heap, Entry(at.astimezone(dt.UTC), next(self._order), label, action))

    def next_before(self, end: dt.datetime) -> Entry | None:
        """The next entry before ``end``, taken off the agenda; None if there is none."""
        if self._heap and self._heap[0].at < end:
            entry = heapq.heappop(self._heap)
            self.now = entry.at
            return entry
        return None

    def __len__(self) -> int:
        return len(self._heap)


@dataclass(frozen=True)
class Calendar:
    """Days in the campaign's zone; office days are weekdays that are not French holidays."""

    zone: ZoneInfo
    _holidays: dict[dt.date, str] = field(default_factory=dict)

    @classmethod
    def for_zone(cls, zone: ZoneInfo, years: range) -> Calendar:
        found = holidays.country_holidays("FR", years=list(years))
        return cls(zone, {day: str(name) for day, name in sorted(found.items())})

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        """``day`` at ``hour:minute`` local time, as a UTC instant."""
        return local_instant(day, dt.time(hour, minute), self.zone)

    def bounds(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """The local day as ``[start, end)`` in UTC."""
        return self.at(day, 0), self.at(day + ONE_DAY, 0)

    def day_of(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(self.zone).date()

    def office_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def next_office_day(self, day: dt.date) -> dt.date:
        """``day`` itself if the office is open, else the next day it is."""
        while not self.office_day(day):
            day += ONE_DAY
        return day

    def moment(
        self, rng: random.Random, day: dt.date, start: tuple[int, int], end: tuple[int, int]
    ) -> dt.datetime:
        """A minute drawn between ``start`` and ``end`` (local hours and minutes) on ``day``."""
        first, last = start[0] * 60 + start[1], end[0] * 60 + end[1]
        minute = rng.randint(first, last)
        return self.at(day, minute // 60, minute % 60)

    def local(self, instant: dt.datetime) -> str:
        """``2023-05-10 19:42`` in the campaign's zone."""
        return instant.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")


def days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """Every day from ``first`` to ``last``, both included."""
    day = first
    while day <= last:
        yield day
        day += ONE_DAY
