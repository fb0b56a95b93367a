"""The scheduler's due work in the database: planned on load, claimed, done once.

``sync_due_work`` runs in ``campaign load``'s transaction: it adds the items
a campaign version plans, moves those still ``pending`` whose instant
changed, cancels pending ones the new version no longer has, and never
touches work already ``done`` or ``skipped`` (a reminder sent is not resent).

``claim_due`` takes due items one by one with a conditional UPDATE (the
winner of a race is the one whose UPDATE matched), so two schedulers never
do one item twice; a claim older than ``lease`` (its scheduler died) is taken
back. ``finish`` records the outcome, only for the claim's holder.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Table, and_, func, or_, select, update
from sqlmodel import Session

from dacapo.campaigns.schema import Campaign
from dacapo.scheduler.plan import planned_work
from dacapo.store.bulk import insert_rows
from dacapo.store.tables import DueWork
from dacapo.store.types import utcnow

DUE: Table = DueWork.__table__  # type: ignore[attr-defined]
DEFAULT_CLAIM_LEASE = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class SyncOutcome:
    added: list[str]
    moved: list[tuple[str, dt.datetime, dt.datetime]]  # key, from, to
    cancelled: list[str]
    kept: list[str]  # already done or skipped: left alone


def sync_due_work(session: Session, campaign: Campaign, version: int) -> SyncOutcome:
    """Bring ``campaign``'s due work in line with ``version`` (see the module)."""
    existing = {
        row.key: row
        for row in session.execute(select(DUE).where(DUE.c.campaign_id == campaign.id)).all()
    }
    planned = {p.key: p for p in planned_work(campaign)}
    added: list[str] = []
    moved: list[tuple[str, dt.datetime, dt.datetime]] = []
    kept: list[str] = []
    fresh = []
    for key, item in planned.items():
        row = existing.get(key)
        if row is None:
            added.append(key)
            fresh.append(
                {
                    "campaign_id": campaign.id,
                    "campaign_version": version,
                    "key": key,
                    "kind": item.kind,
                    "subject": item.subject,
                    "due_at": item.due_at,
                    "late_after": item.late_after,
                    "status": "pending",
                    "attempts": 0,
                    "planned_at": utcnow(),
                }
            )
        elif row.status in ("done", "skipped"):
            kept.append(key)
        else:
            if row.due_at != item.due_at:
                moved.append((key, row.due_at, item.due_at))
            session.execute(
                update(DUE)
                .where(DUE.c.id == row.id)
                .values(
                    campaign_version=version,
                    due_at=item.due_at,
                    late_after=item.late_after,
                    status="pending",
                )
            )
    insert_rows(session, DUE, fresh)
    gone = [k for k, row in existing.items() if k not in planned and row.status == "pending"]
    if gone:
        session.execute(
            update(DUE)
            .where(DUE.c.campaign_id == campaign.id, DUE.c.key.in_(gone))
            .values(status="cancelled", outcome=f"not in campaign version {version}")
        )
    return SyncOutcome(added, moved, gone, kept)


@dataclass(frozen=True, slots=True)
class DueItem:
    id: int
    campaign_id: str
    campaign_version: int
    key: str
    kind: str
    subject: str
    due_at: dt.datetime
    late_after: dt.datetime | None
    status: str
    claimed_by: str | None
    attempts: int
    done_at: dt.datetime | None
    done_by: str | None
    outcome: str | None
    last_error: str | None


def _item(row: object) -> DueItem:
    return DueItem(**{name: getattr(row, name) for name in DueItem.__slots__})


_COLUMNS = [DUE.c[name] for name in DueItem.__slots__]


def due_items(
    session: Session,
    *,
    campaign_id: str | None = None,
    statuses: tuple[str, ...] | None = ("pending",),
) -> list[DueItem]:
    """Items by instant (then key), of one campaign or all, in the given statuses."""
    query = select(*_COLUMNS).order_by(DUE.c.due_at, DUE.c.campaign_id, DUE.c.key)
    if campaign_id is not None:
        query = query.where(DUE.c.campaign_id == campaign_id)
    if statuses is not None:
        query = query.where(DUE.c.status.in_(statuses))
    return [_item(row) for row in session.execute(query)]


def next_due(session: Session) -> dt.datetime | None:
    """The earliest instant of pending work, if any."""
    query = select(func.min(DUE.c.due_at)).where(DUE.c.status == "pending")
    return session.execute(query).scalar_one_or_none()


def due_now(session: Session, now: dt.datetime) -> list[DueItem]:
    """Pending items due at ``now``, earliest first."""
    query = (
        select(*_COLUMNS)
        .where(DUE.c.status == "pending", DUE.c.due_at <= now)
        .order_by(DUE.c.due_at, DUE.c.id)
    )
    return [_item(row) for row in session.execute(query)]


def claim(
    session: Session,
    item_id: int,
    worker: str,
    *,
    claimed_at: dt.datetime,
    lease: dt.timedelta = DEFAULT_CLAIM_LEASE,
) -> bool:
    """Claim one pending item for ``worker``; False when another holds a live claim."""
    free = or_(
        DUE.c.claimed_by.is_(None),
        DUE.c.claimed_by == worker,
        DUE.c.claimed_at < claimed_at - lease,
    )
    statement = (
        update(DUE)
        .where(DUE.c.id == item_id, DUE.c.status == "pending", free)
        .values(claimed_by=worker, claimed_at=claimed_at, attempts=DUE.c.attempts + 1)
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def finish(
    session: Session,
    item_id: int,
    worker: str,
    *,
    status: str,
    now: dt.datetime,
    outcome: str,
) -> bool:
    """Record the item ``done`` or ``skipped`` (only by its claimant); False if lost."""
    statement = (
        update(DUE)
        .where(and_(DUE.c.id == item_id, DUE.c.claimed_by == worker, DUE.c.status == "pending"))
        .values(status=status, done_at=now, done_by=worker, outcome=outcome, last_error=None)
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def release(session: Session, item_id: int, worker: str, *, error: str) -> None:
    """Give an item back after a failure: it stays pending and is retried."""
    session.execute(
        update(DUE)
        .where(DUE.c.id == item_id, DUE.c.claimed_by == worker, DUE.c.status == "pending")
        .values(claimed_by=None, claimed_at=None, last_error=error)
    )
