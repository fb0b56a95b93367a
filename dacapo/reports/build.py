"""Assembling the campaign report from the set-based queries, at one instant ``now``.

``build_report(session, campaign_id, now=...)`` reads, in one read-only
transaction: the counts per window, state, discipline and cycle; the open
dossiers with what each lacks, and the confirmed ones still owing a deferred
document (``store.report_documents``: ``store.outstanding.owing``'s verdict,
in one query); their families' guardians; the outbox counts; the audit log's
moves per day. Everything else is arithmetic over those result sets, in Python.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlmodel import Session

from dacapo.campaigns.schema import Campaign
from dacapo.campaigns.windows import require_aware
from dacapo.reports.contacts import full_name, guardian
from dacapo.reports.funnel import daily_funnel
from dacapo.reports.labels import (
    is_final,
    is_success,
    ordered_states,
    state_label,
    window_keys,
)
from dacapo.reports.model import (
    CallEntry,
    Completion,
    DeferredEntry,
    Guardian,
    MessageCount,
    Report,
    StateCount,
    WindowSummary,
    rate,
)
from dacapo.rules.checklist import success_path
from dacapo.rules.french import agree
from dacapo.store import report_queries as q
from dacapo.store.report_documents import to_chase
from dacapo.store.site_campaigns import latest_campaign
from dacapo.store.tables import OUTBOX_STATUSES

NOT_FILLED = "Non renseigné"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Build and write with the cyclic garbage collector off.

    A report at 100,000 dossiers makes a few hundred thousand small objects and no
    reference cycles: the collector, triggered again and again by the allocations,
    would only walk them (a third of the build's time). Reference counting still
    frees everything; the collector's state is restored on leaving.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_report(
    session: Session, campaign_id: str, *, now: dt.datetime, limit: int | None = None
) -> Report:
    """The report of ``campaign_id`` as it stands at ``now``; ``NotFound`` names the known ones.

    ``limit`` caps the rows of the call list and of the deferred list (their
    totals are still counted).
    """
    now = require_aware(now)
    q.snapshot_reads(session)
    version, campaign = latest_campaign(session, campaign_id)  # or NotFound
    counts = q.dossier_counts(session, campaign_id)
    windows = tuple(_windows(campaign, counts))
    dossiers = sum(r.dossiers for r in counts)
    succeeded = sum(r.dossiers for r in counts if is_success(campaign, r.workflow, r.state))
    calls, owed = _chased(session, campaign, now)
    return Report(
        campaign=campaign.id,
        title=campaign.title,
        site=campaign.site.name,
        school_year=campaign.school_year,
        version=version.version,
        timezone=campaign.timezone,
        generated_at=now.astimezone(campaign.zone),
        dossiers=dossiers,
        succeeded=succeeded,
        still_open=sum(w.still_open for w in windows),
        completion=rate(succeeded, dossiers),
        windows=windows,
        by_discipline=_completions(
            campaign, counts, "discipline", campaign.catalog.disciplines,
            campaign.catalog.discipline_labels,
        ),
        by_cycle=_completions(
            campaign, counts, "cycle", campaign.catalog.cycles, campaign.catalog.cycle_labels
        ),
        call_list=tuple(calls[:limit] if limit is not None else calls),
        call_list_total=len(calls),
        deferred=tuple(owed[:limit] if limit is not None else owed),
        deferred_total=len(owed),
        messages=tuple(_messages(q.outbox_counts(session, campaign_id))),
        funnel=daily_funnel(
            campaign, q.funnel_moves(session, campaign_id, campaign.zone, now), now
        ),
    )  # fmt: skip


# --- counts ---------------------------------------------------------------------------


def _windows(campaign: Campaign, counts: Sequence[q.CountRow]) -> Iterable[WindowSummary]:
    per: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in counts:
        per[row.window, row.workflow][row.state] += row.dossiers
    for name, workflow in window_keys(campaign, per):
        states = per.get((name, workflow), {})
        window = campaign.windows.get(name)
        lines = tuple(
            StateCount(
                state=s,
                label=state_label(campaign, workflow, s),
                final=is_final(campaign, workflow, s),
                success=is_success(campaign, workflow, s),
                dossiers=states.get(s, 0),
            )
            for s in ordered_states(campaign, workflow, states)
        )
        total = sum(line.dossiers for line in lines)
        done = sum(line.dossiers for line in lines if line.success)
        yield WindowSummary(
            window=name,
            label=window.label if window else name,
            workflow=workflow,
            opens=window.opens if window else None,
            closes=window.closes if window else None,
            dossiers=total,
            succeeded=done,
            still_open=sum(line.dossiers for line in lines if not line.final),
            completion=rate(done, total),
            states=lines,
        )


def _completions(
    campaign: Campaign,
    counts: Sequence[q.CountRow],
    dimension: str,
    order: Sequence[str],
    labels: dict[str, str],
) -> tuple[Completion, ...]:
    totals: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for row in counts:
        key = getattr(row, dimension)
        totals[key][0] += row.dossiers
        if is_success(campaign, row.workflow, row.state):
            totals[key][1] += row.dossiers
    keys: list[str | None] = [k for k in order if k in totals]
    keys += sorted(k for k in totals if k is not None and k not in order)
    keys += [None] if None in totals else []
    return tuple(
        Completion(
            key=k,
            label=NOT_FILLED if k is None else labels.get(k, k),
            dossiers=totals[k][0],
            succeeded=totals[k][1],
            completion=rate(totals[k][1], totals[k][0]),
        )
        for k in keys
    )


# --- call list and deferred documents ---------------------------------------------------


def _chased(
    session: Session, campaign: Campaign, now: dt.datetime
) -> tuple[list[CallEntry], list[DeferredEntry]]:
    """The call list (every open dossier) and the deferred documents still owed.

    ``to_chase`` says what each dossier lacks (``owing(confirmed=True)``'s
    verdict, in SQL): open dossiers lacking no document are in the call list all
    the same, for their next step; confirmed ones only for a deferred document.
    """
    chased = to_chase(session, campaign, now=now)
    final = {(name, s) for name, w in campaign.workflows.items() for s in w.final}
    contacts = q.guardians(session, campaign.id)
    families: dict[int, tuple[Guardian, ...]] = {}
    lacks: dict[tuple[str, str, tuple[str, ...]], _Lacks] = {}
    calls: list[CallEntry] = []
    owed: list[DeferredEntry] = []
    for dossier, (missing, deferred) in chased:
        who = families.get(dossier.family_id)
        if who is None:
            who = families[dossier.family_id] = tuple(
                guardian(c) for c in contacts.get(dossier.family_id, ())
            )
        if (dossier.workflow, dossier.state) not in final:
            key = (dossier.workflow, dossier.state, missing)
            if key not in lacks:
                lacks[key] = _lacks(campaign, *key)
            calls.append(_call(campaign, dossier, lacks[key], who))
        owed.extend(_owed(campaign, name, dossier, who) for name in deferred)
    calls.sort(key=lambda c: (c.deadline is None, c.deadline or dt.date.min, c.ref))
    owed.sort(key=lambda o: (o.due, o.requirement, o.ref))
    return calls, owed


def _student(dossier: q.Listed) -> str:
    return full_name(dossier.first_name, dossier.last_name) or dossier.student_ref


def _next_step(campaign: Campaign, workflow: str, state: str) -> str | None:
    """« Prochaine étape : … »: the label of the first step towards the workflow's success."""
    spec = campaign.workflows.get(workflow)
    path = success_path(spec, state) if spec and state in spec.states else []
    if not path:
        return None
    step = path[0]
    if step.label:
        return step.label
    return f"Prochaine étape : {state_label(campaign, workflow, step.to)}"


def _requirement_label(campaign: Campaign, name: str) -> str:
    spec = campaign.requirements.documents.get(name)
    return spec.label if spec else name


@dataclass(frozen=True, slots=True)
class _Lacks:
    state_label: str
    next_step: str | None
    missing: tuple[str, ...]  # labels
    text: str


def _lacks(campaign: Campaign, workflow: str, state: str, missing: tuple[str, ...]) -> _Lacks:
    """What a dossier in ``state`` lacking ``missing`` lacks, in words (the same for many)."""
    step = _next_step(campaign, workflow, state)
    labels = tuple(_requirement_label(campaign, name) for name in missing)
    parts = [step] if step else []
    parts += [f"{label} {agree(label, 'manquant')}" for label in labels]
    return _Lacks(state_label(campaign, workflow, state), step, labels, " ; ".join(parts))


def _call(
    campaign: Campaign, dossier: q.Listed, lacks: _Lacks, guardians: tuple[Guardian, ...]
) -> CallEntry:
    window = campaign.windows.get(dossier.window)
    deadline = dossier.deadline
    if window is not None:
        deadline = max(window.closes, deadline) if deadline else window.closes
    return CallEntry(
        deadline=deadline,
        ref=dossier.ref,
        student=_student(dossier),
        family=dossier.family_ref,
        window=dossier.window,
        state=dossier.state,
        state_label=lacks.state_label,
        next_step=lacks.next_step,
        missing=lacks.missing,
        lacks=lacks.text,
        guardians=guardians,
    )


def _owed(
    campaign: Campaign, name: str, dossier: q.Listed, guardians: tuple[Guardian, ...]
) -> DeferredEntry:
    spec = campaign.requirements.documents.get(name)
    deferred = spec.deferred if spec else None
    return DeferredEntry(
        requirement=name,
        label=spec.label if spec else name,
        due=deferred.due if deferred else dt.date.max,
        note=deferred.note if deferred else "",
        ref=dossier.ref,
        student=_student(dossier),
        family=dossier.family_ref,
        window=dossier.window,
        state=dossier.state,
        state_label=state_label(campaign, dossier.workflow, dossier.state),
        guardians=guardians,
    )


# --- messages ---------------------------------------------------------------------------


def _messages(rows: Sequence[q.OutboxCount]) -> Iterable[MessageCount]:
    per: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        per[row.event, row.template, row.channel][row.status] += row.messages
    for (event, template, channel), statuses in sorted(per.items()):
        counts = {status: statuses.get(status, 0) for status in OUTBOX_STATUSES}
        yield MessageCount(event, template, channel, **counts, total=sum(statuses.values()))
