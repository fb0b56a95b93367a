"""Side effects waiting to happen (the outbox) and the scheduler's lease."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Text
from sqlmodel import Field

from dacapo.store.types import Base, UTCDateTime, utcnow

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "cancelled")
CHANNELS = ("email", "sms")


class OutboxRow(Base, table=True):
    """One message to send. ``idempotency_key`` is unique: adding it twice is a no-op.

    ``context`` is plain JSON (no MutableDict): assign a new dict to change it.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')", name="status"
        ),
        CheckConstraint("channel IN ('email', 'sms')", name="channel"),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True)
    dossier_id: int | None = Field(default=None, foreign_key="dossier.id", index=True)
    family_id: int | None = Field(default=None, foreign_key="family.id")
    event: str
    channel: str
    recipient: str
    template: str
    context: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime(), nullable=False
    )
    claimed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    claimed_by: str | None = None
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class Lease(Base, table=True):
    """A named lease (the scheduler leader on SQLite): held until ``expires_at``."""

    __tablename__ = "lease"

    name: str = Field(primary_key=True)
    holder: str
    expires_at: dt.datetime = Field(sa_type=UTCDateTime(), nullable=False)
    acquired_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    last_tick_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())  # real clock
    last_tick_now: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())  # its `now`
