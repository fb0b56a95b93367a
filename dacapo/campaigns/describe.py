"""What a validated campaign says, as rows and diagrams for people (no I/O, no clock).

``window_rows`` and ``reminder_rows`` turn local dates into instants;
``mermaid`` draws a workflow; ``requirement_rows`` (in ``campaigns.categories``)
tells, per kind of pupil, which fields, documents and answers apply.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dacapo.campaigns.categories import (
    AnswerItem,
    Category,
    DocumentItem,
    FieldItem,
    RequirementRow,
    requirement_rows,
)
from dacapo.campaigns.schema import Campaign, Workflow
from dacapo.campaigns.windows import UTC, local_instant, window_interval

__all__ = [
    "AnswerItem",
    "Category",
    "DocumentItem",
    "FieldItem",
    "ReminderRow",
    "RequirementRow",
    "WindowRow",
    "instant_text",
    "mermaid",
    "reminder_rows",
    "requirement_rows",
    "window_rows",
]

LAST_INSTANT = dt.timedelta(microseconds=1)


def instant_text(instant: dt.datetime, zone: ZoneInfo) -> str:
    """``2023-05-24 23:59:59.999999 Europe/Paris = 2023-05-24 21:59:59.999999 UTC``."""
    return f"{_clock(instant.astimezone(zone))} {zone.key} = {_clock(instant.astimezone(UTC))} UTC"


def _clock(moment: dt.datetime) -> str:
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}.{moment.microsecond:06d}" if moment.microsecond else text


@dataclass(frozen=True)
class WindowRow:
    """One window; ``closes_*`` is the last instant included (the interval's end - 1 µs)."""

    name: str
    label: str
    channel: str
    pupils: str
    workflow: str
    place: str | None
    opens_local: dt.datetime
    opens_utc: dt.datetime
    closes_local: dt.datetime
    closes_utc: dt.datetime
    opens_text: str
    closes_text: str


def window_rows(campaign: Campaign) -> list[WindowRow]:
    zone = campaign.zone
    rows = []
    for name, window in campaign.windows.items():
        interval = window_interval(campaign, window)
        last = interval.end - LAST_INSTANT
        rows.append(
            WindowRow(
                name=name,
                label=window.label,
                channel=window.channel,
                pupils=window.pupils,
                workflow=window.workflow,
                place=window.place,
                opens_local=interval.start.astimezone(zone),
                opens_utc=interval.start.astimezone(UTC),
                closes_local=last.astimezone(zone),
                closes_utc=last.astimezone(UTC),
                opens_text=instant_text(interval.start, zone),
                closes_text=instant_text(last, zone),
            )
        )
    return rows


@dataclass(frozen=True)
class ReminderRow:
    id: str
    window: str
    local: dt.datetime
    utc: dt.datetime
    text: str
    channels: tuple[str, ...]
    template: str
    who: str


def reminder_rows(campaign: Campaign) -> list[ReminderRow]:
    """The reminder timetable, earliest first: the close date minus the days, at local time."""
    zone = campaign.zone
    rows = []
    for reminder in campaign.reminders:
        window = campaign.windows[reminder.window]
        day = window.closes - dt.timedelta(days=reminder.days_before_close)
        instant = local_instant(day, reminder.at, zone)
        who = "dossiers not final"
        if reminder.missing:
            who += f", missing: {', '.join(reminder.missing)}"
        rows.append(
            ReminderRow(
                id=reminder.id,
                window=reminder.window,
                local=instant.astimezone(zone),
                utc=instant,
                text=instant_text(instant, zone),
                channels=tuple(str(c) for c in reminder.channels),
                template=reminder.template,
                who=who,
            )
        )
    return sorted(rows, key=lambda row: row.utc)


def mermaid(workflow: Workflow, *, title: bool = True) -> str:
    """A Mermaid ``stateDiagram-v2`` of ``workflow``, one edge per source and event.

    Written by hand rather than with transitions' ``GraphMachine(graph_engine=
    "mermaid")``: that one needs a model, drops state labels and final states,
    and adds styling classes for the model's current state.
    """
    lines = []
    if title:
        lines += ["---", f"title: {json.dumps(workflow.label, ensure_ascii=False)}", "---"]
    lines.append("stateDiagram-v2")
    for name, state in workflow.states.items():
        lines.append(f'    state "{_mermaid_text(state.label)}" as {name}')
    lines.append(f"    [*] --> {workflow.initial}")
    for transition in workflow.transitions:
        for source in workflow.sources(transition):
            lines.append(f"    {source} --> {transition.to} : {transition.event}")
    for name in workflow.final:
        lines.append(f"    {name} --> [*]")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    """Mermaid has no escape inside quotes: it reads HTML-like entity codes."""
    return text.replace("#", "#35;").replace('"', "#quot;").replace("\n", " ")
