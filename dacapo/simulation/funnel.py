"""The day-by-day funnel: dossiers per state at the end of each day, one line a day.

Columns are the states of the campaign's workflows, in the order the campaign
declares them, each headed by a short name (``legend`` spells them out), then
the messages sent that day and the scheduler's work done.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dacapo.campaigns.schema import Campaign

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WIDTH = 5


@dataclass(frozen=True)
class Column:
    workflow: str
    state: str
    short: str


def columns(campaign: Campaign) -> list[Column]:
    """Every state of every workflow used by a window, with a distinct short name."""
    found: list[Column] = []
    taken: set[str] = set()
    workflows = dict.fromkeys(w.workflow for w in campaign.windows.values())
    for name in workflows:
        for state in campaign.workflows[name].states:
            short = state.split("_")[0][:WIDTH]
            suffix = 2
            while short in taken:
                short, suffix = f"{short[: WIDTH - 1]}{suffix}", suffix + 1
            taken.add(short)
            found.append(Column(name, state, short))
    return found


def legend(campaign: Campaign, cols: list[Column]) -> list[str]:
    """One line per workflow: ``Réinscription administrative: invit=invited, ...``."""
    lines = []
    for name in dict.fromkeys(c.workflow for c in cols):
        named = ", ".join(f"{c.short}={c.state}" for c in cols if c.workflow == name)
        lines.append(f"  {campaign.workflows[name].label}: {named}")
    return lines


def header(cols: list[Column]) -> str:
    cells, previous = [], None
    for column in cols:
        if previous is not None and column.workflow != previous:
            cells.append("|")
        cells.append(f"{column.short:>{WIDTH}}")
        previous = column.workflow
    return f"{'day':<9} {' '.join(cells)} | {'sent':>4}  work done"


def line(
    day: dt.date, cols: list[Column], found: dict[tuple[str, str], int], sent: int, work: str
) -> str:
    cells, previous = [], None
    for column in cols:
        if previous is not None and column.workflow != previous:
            cells.append("|")
        cells.append(f"{found.get((column.workflow, column.state), 0):>{WIDTH}}")
        previous = column.workflow
    label = f"{WEEKDAYS[day.weekday()]} {day:%d/%m}"
    return f"{label:<9} {' '.join(cells)} | {sent:>4}  {work}".rstrip()
