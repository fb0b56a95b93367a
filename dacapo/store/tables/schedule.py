"""The scheduler's due work: what each campaign version plans, done once each.

One row per (campaign, key): ``open:<window>``, ``reminder:<id>``,
``close:<window>``, ``chase:<requirement>``. Loading a campaign version
plans its rows; a reload moves the ``pending`` ones and never touches those
already ``done`` or ``skipped``. A scheduler claims a row (``claimed_by``,
``claimed_at``) before doing it; a claim older than the lease is taken back.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Index, Text, UniqueConstraint
from sqlmodel import Field

from dacapo.store.types import Base, UTCDateTime, utcnow

DUE_KINDS = ("open", "reminder", "close", "chase")
DUE_STATUSES = ("pending", "done", "skipped", "cancelled")


class DueWork(Base, table=True):
    __tablename__ = "due_work"
    __table_args__ = (
        UniqueConstraint("campaign_id", "key"),
        CheckConstraint("kind IN ('open', 'reminder', 'close', 'chase')", name="kind"),
        CheckConstraint("status IN ('pending', 'done', 'skipped', 'cancelled')", name="status"),
        Index("ix_due_work_status_due_at", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str
    campaign_version: int  # the version that planned (or last moved) it
    key: str
    kind: str
    subject: str  # the window, reminder id or requirement name
    due_at: dt.datetime = Field(sa_type=UTCDateTime(), nullable=False)
    # Past this instant the work is skipped, not done late (reminders); None: never.
    late_after: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    status: str = "pending"
    claimed_by: str | None = None
    claimed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    attempts: int = 0
    done_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())  # the work's `now`
    done_by: str | None = None
    outcome: str | None = Field(default=None, sa_type=Text)
    last_error: str | None = Field(default=None, sa_type=Text)
    planned_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
