"""Claiming due outbox rows for one dispatcher, and recording how each went.

A claim is one short transaction: the due rows are selected (``FOR UPDATE
SKIP LOCKED`` on PostgreSQL, so concurrent dispatchers take disjoint rows; on
SQLite the unit of work's ``BEGIN IMMEDIATE`` makes the transaction exclusive)
and marked ``sending`` with the worker's name, the claim time and one more
attempt. Due means ``pending`` with ``next_attempt_at <= now``, or
``sending`` with a claim older than the lease: a dispatcher killed while
sending left it, and the row is taken back.

Each result is then recorded in a transaction of its own, only while the
row is still ``sending``: a row is never deleted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, bindparam, func, or_, select, update
from sqlmodel import Session

from dacapo.store.tables import Dossier, Guardian, OutboxRow, Student

OUTBOX: Table = cast(Table, OutboxRow.__table__)  # type: ignore[attr-defined]
OC = OUTBOX.c
GUARDIAN: Table = cast(Table, Guardian.__table__)  # type: ignore[attr-defined]
STUDENT: Table = cast(Table, Student.__table__)  # type: ignore[attr-defined]
DOSSIER: Table = cast(Table, Dossier.__table__)  # type: ignore[attr-defined]
MAX_ERROR = 2000  # characters of last_error kept
Executor = Session | Connection  # a unit of work's session, or a bare connection in a transaction


@dataclass(frozen=True)
class ClaimedRow:
    """What the dispatcher needs of one claimed row (plain data, no session)."""

    id: int
    key: str
    dossier_id: int | None
    family_id: int | None
    event: str
    channel: str
    recipient: str
    template: str
    context: dict[str, Any]
    attempts: int  # including the one just claimed
    claimed_at: dt.datetime


_COLUMNS = (
    OC.id,
    OC.idempotency_key,
    OC.dossier_id,
    OC.family_id,
    OC.event,
    OC.channel,
    OC.recipient,
    OC.template,
    OC.context,
    OC.attempts,
    OC.claimed_at,
)


def due_condition(now: dt.datetime, lease: dt.timedelta) -> Any:
    """Rows a dispatcher may take at ``now``."""
    return or_(
        and_(OC.status == "pending", OC.next_attempt_at <= now),
        and_(OC.status == "sending", OC.claimed_at < now - lease),
    )


def claim(
    session: Session, *, now: dt.datetime, limit: int, worker: str, lease: dt.timedelta
) -> list[ClaimedRow]:
    """Mark up to ``limit`` due rows ``sending`` for ``worker``; the caller commits."""
    ids = (
        session.execute(
            select(OC.id)
            .where(due_condition(now, lease))
            .order_by(OC.next_attempt_at, OC.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # ignored by SQLite: BEGIN IMMEDIATE instead
        )
        .scalars()
        .all()
    )
    if not ids:
        return []
    claimed = session.execute(
        update(OUTBOX)
        .where(OC.id.in_(ids))
        .values(status="sending", claimed_at=now, claimed_by=worker, attempts=OC.attempts + 1)
        .returning(*_COLUMNS)
    ).all()
    order = {row_id: index for index, row_id in enumerate(ids)}
    return sorted((ClaimedRow(*row) for row in claimed), key=lambda r: order[r.id])


def release(connection: Executor, ids: list[int], *, worker: str) -> int:
    """Hand claimed rows back untouched: ``pending``, the attempt not counted."""
    if not ids:
        return 0
    done = connection.execute(
        update(OUTBOX)
        .where(OC.id.in_(ids), OC.status == "sending", OC.claimed_by == worker)
        .values(status="pending", attempts=OC.attempts - 1)
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


# Built once: each result is one short transaction on the hot path, only parameters change.
_FINISH_ANY = (
    update(OUTBOX)
    .where(OC.id == bindparam("row_id"), OC.status == "sending")
    .values(status=bindparam("status"), sent_at=bindparam("sent_at"),
            last_error=bindparam("last_error"))
)  # fmt: skip
_FINISH_MINE = (
    update(OUTBOX)
    .where(OC.id == bindparam("row_id"), OC.status == "sending",
           OC.claimed_by == bindparam("worker"))
    .values(status=bindparam("status"), last_error=bindparam("last_error"))
)  # fmt: skip
_RETRY = _FINISH_MINE.values(next_attempt_at=bindparam("next_attempt_at"))


def mark_sent(connection: Executor, row_id: int, *, now: dt.datetime) -> bool:
    """Sent: true whoever holds the claim now (the message went)."""
    done = connection.execute(
        _FINISH_ANY, {"row_id": row_id, "status": "sent", "sent_at": now, "last_error": None}
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def mark_retry(
    connection: Executor, row_id: int, *, worker: str, next_attempt_at: dt.datetime, error: str
) -> bool:
    """Back to ``pending`` until ``next_attempt_at``, unless another worker took it over."""
    done = connection.execute(
        _RETRY,
        {
            "row_id": row_id,
            "worker": worker,
            "status": "pending",
            "last_error": error[:MAX_ERROR],
            "next_attempt_at": next_attempt_at,
        },
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def mark_failed(
    connection: Executor, row: ClaimedRow, *, worker: str, error: str, bounced: bool = False
) -> bool:
    """Failed for good; a bounced email address is flagged on the family's guardians."""
    values = {
        "row_id": row.id,
        "worker": worker,
        "status": "failed",
        "last_error": error[:MAX_ERROR],
    }
    done = bool(connection.execute(_FINISH_MINE, values).rowcount)  # type: ignore[attr-defined]
    if done and bounced and row.channel == "email":
        flag_bounced(connection, row)
    return done


def flag_bounced(connection: Executor, row: ClaimedRow) -> int:
    """``email_bounced`` on every guardian of the row's family with that address."""
    family_id = row.family_id
    if family_id is None and row.dossier_id is not None:
        family_id = connection.execute(
            select(STUDENT.c.family_id)
            .join_from(DOSSIER, STUDENT, STUDENT.c.id == DOSSIER.c.student_id)
            .where(DOSSIER.c.id == row.dossier_id)
        ).scalar_one_or_none()
    if family_id is None:
        return 0
    g = GUARDIAN.c
    flagged = connection.execute(
        update(GUARDIAN)
        .where(g.family_id == family_id, func.lower(g.email) == row.recipient.strip().lower())
        .values(email_bounced=True)
    )
    return int(flagged.rowcount)  # type: ignore[attr-defined]
