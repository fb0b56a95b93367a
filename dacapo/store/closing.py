"""Closing a window: its non-final dossiers lapse, set-based, one transaction per chunk.

``close_window(database, campaign_id, window, now=...)`` lapses every dossier
of the window that the workflow lets the system lapse (``engine.closing``
plans it per campaign version, workflow and state), except those with an
extension: ``lapse_expired_extensions`` lapses them once their own deadline
has ended. Each lapse is stamped (audit ``effective_at``) with the instant it
belongs to — the window's end, or the extended deadline's — not with ``now``,
the time the job runs.

Each chunk is a unit of work: its dossiers are read (and locked, ``FOR
UPDATE``, on PostgreSQL; on SQLite ``BEGIN IMMEDIATE`` holds the write lock),
moved by a version-checked UPDATE, and only the rows it moved get their audit
row (``audit_bulk``) and lapse notices (``queue_outbox_rows``), committed
together. The version bump makes a ``fire`` prepared before the close fail
with ConcurrentUpdate; a change committed first is respected.

Killed at any moment, a re-run finishes the job: committed chunks are final
already, and a dossier with a ``lapse`` audit row stamped with its lapse
instant is never lapsed again, even if staff reopened it since.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Row,
    Table,
    and_,
    func,
    or_,
    select,
    update,
)
from sqlmodel import Session, SQLModel

from dacapo.campaigns.schema import Campaign
from dacapo.campaigns.windows import require_aware
from dacapo.engine.closing import (
    LAPSE,
    CloseOutcome,
    ExtensionCount,
    ExtensionsOutcome,
    GroupPlan,
    Key,
    Tally,
    WindowStillOpen,
    has_extension,
    kept_and_left,
    lapse_instant,
    plan_group,
    window_named,
)
from dacapo.engine.recipients import Contacts
from dacapo.engine.services import SYSTEM, notification_messages
from dacapo.rules.fields import adult_on
from dacapo.store.audit_bulk import Entry, chain_tips, insert_audit_rows
from dacapo.store.bulk import id_version_pairs, select_in
from dacapo.store.database import Database
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.outbox import queue_outbox_rows
from dacapo.store.site_campaigns import latest_campaign
from dacapo.store.tables import AuditRow, CampaignVersion, Dossier, Guardian, Student
from dacapo.store.types import utcnow

__all__ = ["CloseOutcome", "ExtensionsOutcome", "close_window", "lapse_expired_extensions"]

CHUNK = 5000


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


DOSSIER, STUDENT = _table(Dossier), _table(Student)
D, S, G, AU, C = (_table(t).c for t in (Dossier, Student, Guardian, AuditRow, CampaignVersion))
_GROUP = (D.campaign_version, D.workflow, D.state)
_CANDIDATE = (D.id, D.ref, D.version, *_GROUP, S.family_id, S.birth_date, S.email, S.mobile)
Census = dict[tuple[Key, dt.date | None], int]  # dossiers per group and deadline


def close_window(
    database: Database,
    campaign_id: str,
    window: str,
    *,
    now: dt.datetime,
    dry_run: bool = False,
    chunk: int = CHUNK,
) -> CloseOutcome:
    """Lapse the window's non-final dossiers (see the module); ``now`` >= the window's end.

    NotFound for an unknown campaign or window; WindowStillOpen before the end.
    A dry run reads the same chunks and writes nothing.
    """
    require_aware(now)
    with database.unit_of_work(read_only=True) as uow:
        setup = _setup(uow.session, campaign_id, window)
    closes_at = lapse_instant(setup.campaign, window)
    if now < closes_at:
        raise WindowStillOpen(setup.campaign, window, closes_at)
    plans = setup.plans(window, closes_at)
    tally = Tally()
    selected = _not_extended(setup, window)
    _sweep(database, setup, window, plans, selected, closes_at, now, dry_run, chunk, tally)
    extensions, left = kept_and_left(setup.campaign, window, setup.census[window], plans)
    return CloseOutcome(
        campaign_id=campaign_id,
        window=window,
        closes_at=closes_at,
        timezone=setup.campaign.timezone,
        dry_run=dry_run,
        lapsed=tally.total,
        kept_with_extension=sum(e.count for e in extensions),
        notices=tally.notices,
        chunks=tally.chunks,
        states=tally.states(),
        extensions=extensions,
        left=left,
    )


def lapse_expired_extensions(
    database: Database,
    campaign_id: str,
    *,
    now: dt.datetime,
    dry_run: bool = False,
    chunk: int = CHUNK,
) -> ExtensionsOutcome:
    """Lapse the extended dossiers whose own deadline has ended by ``now``.

    Only in windows whose closing is done (nothing left for ``close_window``
    to lapse); the others are listed as ``waiting``. Each dossier is stamped
    with the end of its own deadline.
    """
    require_aware(now)
    with database.unit_of_work(read_only=True) as uow:
        setup = _setup(uow.session, campaign_id, None)
    tally = Tally()
    deadlines: list[ExtensionCount] = []
    waiting: list[str] = []
    for window, spec in setup.campaign.windows.items():
        ends = {
            deadline: lapse_instant(setup.campaign, window, deadline)
            for (_, deadline) in setup.census.get(window, {})
            if deadline is not None and has_extension(spec, deadline)
        }
        expired = sorted(deadline for deadline, end in ends.items() if end <= now)
        if not expired:
            continue
        if _closing_pending(database, setup, window):
            waiting.append(window)
            continue
        for deadline in expired:
            before = tally.total
            plans = setup.plans(window, ends[deadline], deadline)
            selected = D.deadline == deadline
            _sweep(database, setup, window, plans, selected, ends[deadline], now, dry_run, chunk,
                   tally)  # fmt: skip
            if tally.total > before:
                lapsed = tally.total - before
                deadlines.append(ExtensionCount(window, deadline, ends[deadline], lapsed))
    return ExtensionsOutcome(
        campaign_id=campaign_id,
        dry_run=dry_run,
        lapsed=tally.total,
        notices=tally.notices,
        chunks=tally.chunks,
        states=tally.states(),
        deadlines=deadlines,
        waiting=waiting,
    )


@dataclass
class _Setup:
    """A campaign's definitions, and its dossiers counted per window, group and deadline."""

    campaign_id: str
    campaign: Campaign  # the latest version: its windows give the instants
    versions: dict[int, Campaign]
    census: dict[str, Census]

    def plans(
        self, window: str, at: dt.datetime, deadline: dt.date | None = None
    ) -> dict[Key, GroupPlan]:
        """Each group of ``window`` planned for a lapse at ``at``."""
        groups = sorted({key for (key, _) in self.census.get(window, {})})
        return {
            (v, w, s): plan_group(
                self.versions[v], v, w, s, window=window, at=at, deadline=deadline
            )
            for v, w, s in groups
        }


def _setup(session: Session, campaign_id: str, window: str | None) -> _Setup:
    _, campaign = latest_campaign(session, campaign_id)  # or NotFound
    store = SqlDossierStore(session)
    query = (
        select(D.window, *_GROUP, D.deadline, func.count())
        .where(D.campaign_id == campaign_id)
        .group_by(D.window, *_GROUP, D.deadline)
    )
    if window is not None:
        window_named(campaign, window)
        query = query.where(D.window == window)
    census: dict[str, Census] = {name: {} for name in campaign.windows}
    versions: dict[int, Campaign] = {}
    for name, version, workflow, state, deadline, count in session.execute(query):
        if name in census:  # a window the latest version dropped: nothing closes it
            census[name][(version, workflow, state), deadline] = int(count)
            versions[version] = versions.get(version) or store.campaign(campaign_id, version)
    return _Setup(campaign_id, campaign, versions, census)


def _not_extended(setup: _Setup, window: str) -> ColumnElement[bool]:
    return or_(D.deadline.is_(None), D.deadline <= setup.campaign.windows[window].closes)


def _pending(
    setup: _Setup, window: str, lapsing: Sequence[Key], selected: ColumnElement[bool]
) -> list[ColumnElement[bool]]:
    """Dossiers of ``window``, ``selected``, in a group that lapses."""
    groups = [and_(D.campaign_version == v, D.workflow == w, D.state == s) for v, w, s in lapsing]
    return [D.campaign_id == setup.campaign_id, D.window == window, or_(*groups), selected]


def _lapsed_at(session: Session, ids: Sequence[int], instant: dt.datetime) -> set[int]:
    """Those of ``ids`` with a lapse stamped ``instant`` already (reopened since, by staff).

    A lookup per chunk by dossier id (the audit chain's index), rather than an
    anti-join over every lapse row, which PostgreSQL may plan as a nested loop.
    """
    query = select(AU.dossier_id).where(AU.event == LAPSE, AU.effective_at == instant)
    return {dossier_id for (dossier_id,) in select_in(session, query, AU.dossier_id, ids)}


def _closing_pending(database: Database, setup: _Setup, window: str) -> bool:
    """Whether ``close_window`` still has dossiers of ``window`` to lapse."""
    closes_at = lapse_instant(setup.campaign, window)
    plans = setup.plans(window, closes_at)
    lapsing = sorted(key for key, plan in plans.items() if plan.to_state is not None)
    if not lapsing:
        return False
    query = select(D.id).where(*_pending(setup, window, lapsing, _not_extended(setup, window)))
    after = 0
    with database.unit_of_work(read_only=True) as uow:
        while ids := list(uow.session.execute(
            query.where(D.id > after).order_by(D.id).limit(CHUNK)
        ).scalars()):  # fmt: skip
            if set(ids) - _lapsed_at(uow.session, ids, closes_at):
                return True
            after = ids[-1]
    return False


def _sweep(
    database: Database,
    setup: _Setup,
    window: str,
    plans: dict[Key, GroupPlan],
    selected: ColumnElement[bool],
    instant: dt.datetime,
    now: dt.datetime,
    dry_run: bool,
    size: int,
    tally: Tally,
) -> None:
    """Lapse the pending dossiers not lapsed at ``instant`` yet, by chunks, one commit each."""
    lapsing = {key: plan for key, plan in plans.items() if plan.to_state is not None}
    if not lapsing:
        return
    query = (
        select(*_CANDIDATE)
        .select_from(DOSSIER.join(STUDENT, S.id == D.student_id))
        .where(*_pending(setup, window, sorted(lapsing), selected))
        .order_by(D.id)
        .limit(size)
    )
    after = 0
    while True:
        with database.unit_of_work(read_only=dry_run) as uow:
            page = query.where(D.id > after)
            if not dry_run and database.dialect == "postgresql":
                page = page.with_for_update(of=DOSSIER)
            rows = uow.session.execute(page).all()
            if not rows:
                return
            after = rows[-1].id
            already = _lapsed_at(uow.session, [row.id for row in rows], instant)
            rows = [row for row in rows if row.id not in already]
            if not rows:
                continue
            moved = rows if dry_run else _move(uow.session, rows, lapsing)
            notices = _notices(uow.session, setup, moved, lapsing, instant, now)
            queued = len(notices)
            if not dry_run:
                _audit(uow.session, moved, lapsing, instant)
                queued = queue_outbox_rows(uow.session, notices)
                uow.commit()
        tally.chunks += 1
        tally.notices += queued
        for row in moved:
            tally.lapsed(lapsing[row.campaign_version, row.workflow, row.state])


def _move(session: Session, rows: Sequence[Row[Any]], plans: dict[Key, GroupPlan]) -> list[Any]:
    """One version-checked UPDATE per group; the rows it actually moved."""
    groups: dict[Key, list[tuple[int, int]]] = {}
    for row in rows:
        groups.setdefault((row.campaign_version, row.workflow, row.state), []).append(
            (row.id, row.version)
        )
    moved: set[int] = set()
    for key, pairs in groups.items():
        read = id_version_pairs(session, pairs)
        statement = (
            update(DOSSIER)
            .where(D.id == read.c.id, D.version == read.c.version, D.state == key[2])
            .values(state=plans[key].to_state, version=D.version + 1, updated_at=utcnow())
            .returning(D.id)
        )
        moved.update(session.execute(statement).scalars())
    return [row for row in rows if row.id in moved]


def _audit(
    session: Session, rows: Sequence[Row[Any]], plans: dict[Key, GroupPlan], instant: dt.datetime
) -> None:
    """One ``lapse`` audit row per moved dossier, by the system, stamped ``instant``."""
    recorded_at = utcnow()
    entries = {
        key: Entry(
            event=LAPSE,
            from_state=plan.state,
            to_state=plan.to_state or "",
            actor=SYSTEM.id,
            role=SYSTEM.role.value,
            reason=None,
            effective_at=instant,
            recorded_at=recorded_at,
            campaign_version=plan.campaign_version,
        )
        for key, plan in plans.items()
    }
    written = [(row.id, entries[row.campaign_version, row.workflow, row.state]) for row in rows]
    insert_audit_rows(session, written, chain_tips(session, [row.id for row in rows]))


def _notices(
    session: Session,
    setup: _Setup,
    rows: Sequence[Row[Any]],
    plans: dict[Key, GroupPlan],
    instant: dt.datetime,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """The lapse notices of ``rows`` as ``fire`` queues them, as outbox row values.

    The guardians of every family of the chunk are read in one query.
    """
    guardians: dict[int, tuple[tuple[str | None, str | None], ...]] = {}
    query = select(G.family_id, G.email, G.mobile).order_by(G.family_id, G.position)
    for family_id, email, mobile in select_in(session, query, G.family_id,
                                              [row.family_id for row in rows]):  # fmt: skip
        guardians[family_id] = (*guardians.get(family_id, ()), (email, mobile))
    created_at = utcnow()
    values: list[dict[str, Any]] = []
    for row in rows:
        plan = plans[row.campaign_version, row.workflow, row.state]
        assert plan.transition is not None
        campaign = setup.versions[row.campaign_version]
        adult = adult_on(row.birth_date, campaign.school_year_starts)
        contacts = Contacts(guardians.get(row.family_id, ()), adult, row.email, row.mobile)
        values.extend(
            {
                "idempotency_key": m.key,
                "dossier_id": row.id,
                "family_id": row.family_id,
                "event": m.message,
                "channel": m.channel,
                "recipient": m.recipient,
                "template": m.template,
                "context": m.context,
                "next_attempt_at": now,
                "created_at": created_at,
            }
            for m in notification_messages(
                campaign, plan.transition, row.ref, row.version, contacts, None, instant
            )
        )
    return values
