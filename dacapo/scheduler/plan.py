"""What a campaign version plans: its due work, as instants (pure, no I/O).

- ``open:<window>`` at the window's first instant: the invitations;
- ``reminder:<id>`` at ``closes - days_before_close`` at ``at`` local time,
  skipped past ``max_lateness_hours`` or once the window has closed;
- ``close:<window>`` at the window's end (exclusive: the first instant after
  its last day): the lapse of what is still open;
- ``chase:<requirement>`` on a deferred document's ``chase_on`` day at
  ``chase_at``: families still owing it (the dance medical certificate).

Local times become UTC with the campaign's zone; on a DST night an ambiguous
wall-clock time is its first occurrence, so each item has exactly one instant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dacapo.campaigns.schema import Campaign
from dacapo.campaigns.windows import local_instant, window_interval


@dataclass(frozen=True, slots=True)
class Planned:
    key: str
    kind: str  # open | reminder | close | chase
    subject: str
    due_at: dt.datetime
    late_after: dt.datetime | None = None


def planned_work(campaign: Campaign) -> list[Planned]:
    """Every due item of ``campaign``, by instant then key."""
    zone = campaign.zone
    found: list[Planned] = []
    for name, window in campaign.windows.items():
        interval = window_interval(campaign, window)
        found.append(Planned(f"open:{name}", "open", name, interval.start))
        found.append(Planned(f"close:{name}", "close", name, interval.end))
    for reminder in campaign.reminders:
        window = campaign.windows[reminder.window]
        day = window.closes - dt.timedelta(days=reminder.days_before_close)
        due = local_instant(day, reminder.at, zone)
        late = min(
            due + dt.timedelta(hours=reminder.max_lateness_hours),
            window_interval(campaign, window).end,
        )
        found.append(Planned(f"reminder:{reminder.id}", "reminder", reminder.id, due, late))
    for name, requirement in campaign.requirements.documents.items():
        deferred = requirement.deferred
        if deferred is None or deferred.chase_on is None:
            continue
        due = local_instant(deferred.chase_on, deferred.chase_at, zone)
        late = local_instant(deferred.due + dt.timedelta(days=1), dt.time(0, 0), zone)
        found.append(Planned(f"chase:{name}", "chase", name, due, late))
    return sorted(found, key=lambda p: (p.due_at, p.key))
