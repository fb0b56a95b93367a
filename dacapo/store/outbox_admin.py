"""Staff views and corrections of the outbox: list, show, retry, cancel. Nothing is deleted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, col, select

from dacapo.engine.errors import BadInput, OutboxChangeRefused, OutboxRowNotFound
from dacapo.store.tables import OutboxRow
from dacapo.store.tables.outbox import OUTBOX_STATUSES

RETRYABLE = ("failed",)
CANCELLABLE = ("pending", "failed")


def list_outbox(session: Session, *, status: str | None, limit: int | None) -> list[OutboxRow]:
    """Messages by id, optionally of one status."""
    query = select(OutboxRow).order_by(col(OutboxRow.id))
    if status is not None:
        if status not in OUTBOX_STATUSES:
            raise BadInput(f"--status {status!r}: choose {', '.join(OUTBOX_STATUSES)}")
        query = query.where(OutboxRow.status == status)
    if limit:
        query = query.limit(limit)
    return list(session.exec(query).all())


def status_counts(session: Session) -> dict[str, int]:
    rows = session.exec(
        select(OutboxRow.status, func.count()).group_by(col(OutboxRow.status))
    ).all()
    found = dict(rows)
    return {status: found.get(status, 0) for status in OUTBOX_STATUSES}


def get_outbox(session: Session, row_id: int, *, for_update: bool = False) -> OutboxRow:
    """The row ``row_id``; ``for_update`` locks it (PostgreSQL) against a claim in flight."""
    row = session.get(OutboxRow, row_id, with_for_update=for_update)
    if row is None:
        raise OutboxRowNotFound(row_id)
    return row


def _refuse(row: OutboxRow, verb: str, allowed: tuple[str, ...]) -> None:
    if row.status not in allowed:
        raise OutboxChangeRefused(
            f"Cannot {verb} message {row.id}: it is {row.status} (only {' or '.join(allowed)})"
        )


def retry_outbox(session: Session, row_id: int, *, now: dt.datetime) -> OutboxRow:
    """A failed message goes again at the next dispatch, with a fresh count of attempts."""
    row = get_outbox(session, row_id, for_update=True)
    _refuse(row, "retry", RETRYABLE)
    row.status, row.next_attempt_at, row.attempts = "pending", now, 0
    session.add(row)
    session.flush()
    return row


def cancel_outbox(session: Session, row_id: int) -> OutboxRow:
    """A pending or failed message will never be sent; the row stays."""
    row = get_outbox(session, row_id, for_update=True)
    _refuse(row, "cancel", CANCELLABLE)
    row.status = "cancelled"
    session.add(row)
    session.flush()
    return row
