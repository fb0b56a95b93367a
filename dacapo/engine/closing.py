"""Closing a window, planned: which dossiers lapse, into which state, and why not (pure).

A window's closing lapses its non-final dossiers with the workflow's ``lapse``
event, fired by the system. The store lapses them by groups, set-based, so the
engine decides per group — a campaign version, a workflow, a state — never
per dossier: ``plan_group`` runs the workflow's machine (``machine_for``) to
find the destination and checks the transition's guards for the system.

A dossier whose ``deadline`` falls after the window's last day has an
extension: it lapses at its own deadline (``lapse_instant`` with that
deadline), not at the window's closing. Every lapse is stamped with the
instant it belongs to, however late the job runs.

The outcome types returned by ``store.closing`` are here too: plain data.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from dacapo.campaigns.describe import instant_text
from dacapo.campaigns.schema import Campaign, TransitionSpec, Window
from dacapo.campaigns.windows import window_interval
from dacapo.engine.errors import BadInput, NotFound, TransitionNotAllowed
from dacapo.engine.machine import machine_for
from dacapo.engine.services import SYSTEM, guards_of
from dacapo.rules import evaluate
from dacapo.rules import snapshot as snap
from dacapo.rules.findings import GuardContext, unmet

LAPSE = "lapse"
# Guards whose answer for the system depends on the group (workflow, state,
# window, deadline) only: any other guard needs each dossier's data.
GROUP_GUARDS = frozenset({"actor_allowed", "window_open"})


class WindowStillOpen(BadInput):
    """Closing a window before its end (exit 2): staff cannot close early."""

    def __init__(self, campaign: Campaign, window: str, closes_at: dt.datetime) -> None:
        self.closes_at = closes_at
        super().__init__(
            f"Window {window!r} of {campaign.id} is still open: it closes at "
            f"{instant_text(closes_at, campaign.zone)}. It cannot be closed before."
        )


def window_named(campaign: Campaign, name: str) -> Window:
    """The window ``name``, or NotFound naming the windows that exist."""
    window = campaign.windows.get(name)
    if window is None:
        known = ", ".join(campaign.windows)
        raise NotFound(f"No window {name!r} in campaign {campaign.id}; its windows: {known}")
    return window


def lapse_instant(campaign: Campaign, window: str, deadline: dt.date | None = None) -> dt.datetime:
    """When a dossier of ``window`` (with its own ``deadline``, if any) lapses: the window's end."""
    return window_interval(campaign, campaign.windows[window], deadline).end


def has_extension(window: Window, deadline: dt.date | None) -> bool:
    """A deadline after the window's last day: the dossier lapses at its own deadline."""
    return deadline is not None and deadline > window.closes


@dataclass(frozen=True)
class GroupPlan:
    """What closing does to the dossiers of one campaign version, workflow and state.

    ``to_state`` None: they are left as they are, ``why`` says why.
    """

    campaign_version: int
    workflow: str
    state: str
    to_state: str | None = None
    transition: TransitionSpec | None = None
    why: str = ""
    final: bool = False


def plan_group(
    campaign: Campaign,
    version: int,
    workflow: str,
    state: str,
    *,
    window: str,
    at: dt.datetime,
    deadline: dt.date | None = None,
) -> GroupPlan:
    """Whether the system may lapse the group's dossiers at ``at``, and into which state."""
    spec = campaign.workflows.get(workflow)
    if spec is None:
        return GroupPlan(version, workflow, state, why=f"no workflow {workflow!r} in v{version}")
    if state in spec.final:
        return GroupPlan(version, workflow, state, why="final state", final=True)
    if not any(t.event == LAPSE for t in spec.transitions):
        return GroupPlan(version, workflow, state, why=f"workflow {workflow} has no lapse event")
    machine = machine_for(campaign.id, version, workflow, spec)
    try:
        transition = machine.transition(state, LAPSE)
    except TransitionNotAllowed:
        return GroupPlan(version, workflow, state, why=f"lapse is not allowed from {state}")
    names = guards_of(transition)
    per_dossier = [name for name in names if name not in GROUP_GUARDS]
    if per_dossier:
        why = f"lapse checks each dossier ({', '.join(per_dossier)}): lapse them one by one"
        return GroupPlan(version, workflow, state, why=why)
    group = snap.DossierSnapshot(
        ref=f"{workflow}.{state}",
        workflow=workflow,
        window=window,
        state=state,
        family=snap.Family(ref=""),
        student=snap.Student(ref=""),
        deadline=deadline,
    )
    context = GuardContext(campaign, group, at, SYSTEM, transition, None)
    refused = unmet(evaluate(names, context))
    if refused:
        return GroupPlan(version, workflow, state, why="; ".join(f.message for f in refused))
    to_state = machine.next_state(state, LAPSE)
    return GroupPlan(version, workflow, state, to_state, transition)


@dataclass(frozen=True)
class StateCount:
    """Dossiers of ``workflow`` in ``state``: lapsed into ``to_state``, or left (``why``)."""

    workflow: str
    state: str
    count: int
    to_state: str | None = None
    why: str = ""


@dataclass(frozen=True)
class ExtensionCount:
    """Dossiers of ``window`` extended until ``deadline``: they lapse at ``lapses_at``."""

    window: str
    deadline: dt.date
    lapses_at: dt.datetime
    count: int


Key = tuple[int, str, str]  # campaign version, workflow, state


def kept_and_left(
    campaign: Campaign,
    window: str,
    census: Mapping[tuple[Key, dt.date | None], int],
    plans: Mapping[Key, GroupPlan],
) -> tuple[list[ExtensionCount], list[StateCount]]:
    """Of the window's non-final dossiers (``census``: per group and deadline), those
    an extension keeps open (per deadline), and those closing cannot lapse (per state)."""
    extended: Counter[dt.date] = Counter()
    left: Counter[tuple[str, str, str]] = Counter()
    for (key, deadline), count in census.items():
        plan = plans[key]
        if plan.final:
            continue
        if deadline is not None and has_extension(campaign.windows[window], deadline):
            extended[deadline] += count
        elif plan.to_state is None:
            left[plan.workflow, plan.state, plan.why] += count
    return (
        [
            ExtensionCount(window, day, lapse_instant(campaign, window, day), count)
            for day, count in sorted(extended.items())
        ],
        [StateCount(w, s, count, why=why) for (w, s, why), count in sorted(left.items())],
    )


@dataclass
class Tally:
    """Dossiers lapsed per (workflow, from, to), notices queued, chunks done."""

    moved: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    notices: int = 0
    chunks: int = 0

    def lapsed(self, plan: GroupPlan) -> None:
        assert plan.to_state is not None
        self.moved[plan.workflow, plan.state, plan.to_state] += 1

    @property
    def total(self) -> int:
        return sum(self.moved.values())

    def states(self) -> list[StateCount]:
        return [
            StateCount(workflow, state, count, to_state)
            for (workflow, state, to_state), count in sorted(self.moved.items())
        ]


@dataclass(frozen=True)
class CloseOutcome:
    """What closing a window did (or, for a dry run, would do).

    ``lapsed``: dossiers lapsed, stamped ``closes_at``; ``states``: how many from
    each state; ``extensions``: the non-final dossiers kept open by an extension;
    ``left``: non-final dossiers the closing cannot lapse, with the reason;
    ``notices``: outbox rows queued; ``chunks``: transactions committed.
    """

    campaign_id: str
    window: str
    closes_at: dt.datetime
    timezone: str  # the campaign's, to show the instants in local time
    dry_run: bool
    lapsed: int
    kept_with_extension: int
    notices: int
    chunks: int
    states: list[StateCount] = field(default_factory=list)
    extensions: list[ExtensionCount] = field(default_factory=list)
    left: list[StateCount] = field(default_factory=list)


@dataclass(frozen=True)
class ExtensionsOutcome:
    """What ``lapse_expired_extensions`` did (or would do) in one campaign.

    ``deadlines``: the dossiers lapsed per window and deadline, each stamped with
    its own ``lapses_at``; ``waiting``: windows whose closing is not done yet
    (their extensions wait for it).
    """

    campaign_id: str
    dry_run: bool
    lapsed: int
    notices: int
    chunks: int
    states: list[StateCount] = field(default_factory=list)
    deadlines: list[ExtensionCount] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
