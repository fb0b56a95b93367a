"""The campaign report as plain data: what every format (table, CSV, JSON, HTML) shows.

Built by ``reports.build`` at one instant (``generated_at``); labels are the
campaign's (French), already resolved, so the renderers only lay them out.
Rates are fractions (0.25 for 25 %), None when there is nothing to divide.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class StateCount:
    state: str
    label: str
    final: bool
    success: bool
    dossiers: int


@dataclass(frozen=True, slots=True)
class WindowSummary:
    """One window: its dossiers per state of its workflow, and how many succeeded."""

    window: str
    label: str
    workflow: str
    opens: dt.date | None  # None: a window the campaign no longer has
    closes: dt.date | None
    dossiers: int
    succeeded: int
    still_open: int  # not in a final state
    completion: float | None
    states: tuple[StateCount, ...]


@dataclass(frozen=True, slots=True)
class Completion:
    """Completion of one discipline or cycle (``key`` None: not filled in)."""

    key: str | None
    label: str
    dossiers: int
    succeeded: int
    completion: float | None


@dataclass(frozen=True, slots=True)
class Guardian:
    name: str
    phone: str | None  # display form: 06 12 34 56 78
    email: str | None


@dataclass(frozen=True, slots=True)
class CallEntry:
    """An open dossier to chase, with what it lacks and whom to call."""

    deadline: dt.date | None  # the window's last day, or the dossier's own extension
    ref: str
    student: str
    family: str
    window: str
    state: str
    state_label: str
    next_step: str | None
    missing: tuple[str, ...]  # requirement labels
    lacks: str  # « Prochaine étape : … ; Photo d'identité … manquante »
    guardians: tuple[Guardian, ...]


@dataclass(frozen=True, slots=True)
class DeferredEntry:
    """A deferred document (the dance certificate) a pupil has not supplied yet."""

    requirement: str
    label: str
    due: dt.date
    note: str
    ref: str
    student: str
    family: str
    window: str
    state: str
    state_label: str
    guardians: tuple[Guardian, ...]


@dataclass(frozen=True, slots=True)
class MessageCount:
    """Messages of one event, template and channel, per outbox status."""

    event: str
    template: str
    channel: str
    pending: int
    sending: int
    sent: int
    failed: int
    cancelled: int
    total: int


@dataclass(frozen=True, slots=True)
class FunnelSeries:
    state: str
    label: str
    final: bool
    success: bool
    counts: tuple[int, ...]  # one per day of ``Funnel.days``, at the end of that day


@dataclass(frozen=True, slots=True)
class FunnelWindow:
    window: str
    label: str
    series: tuple[FunnelSeries, ...]


@dataclass(frozen=True, slots=True)
class Funnel:
    """Dossiers per state at the end of each local day, from the first audit row to now."""

    days: tuple[dt.date, ...]
    windows: tuple[FunnelWindow, ...]


@dataclass(frozen=True, slots=True)
class Report:
    campaign: str
    title: str
    site: str
    school_year: str
    version: int
    timezone: str
    generated_at: dt.datetime  # the report's ``now``, in the campaign's zone
    dossiers: int
    succeeded: int
    still_open: int
    completion: float | None
    windows: tuple[WindowSummary, ...]
    by_discipline: tuple[Completion, ...]
    by_cycle: tuple[Completion, ...]
    call_list: tuple[CallEntry, ...]
    call_list_total: int  # before any limit
    deferred: tuple[DeferredEntry, ...]
    deferred_total: int
    messages: tuple[MessageCount, ...]
    funnel: Funnel
