"""scheduler due work

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

The scheduler's due work (one row per campaign and key: window openings,
reminders, closings, chases of deferred documents) and the lease's record
of when the leader took over and last ran.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "due_work",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.String(), nullable=False),
        sa.Column("campaign_version", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('open', 'reminder', 'close', 'chase')", name=op.f("ck_due_work_kind")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'skipped', 'cancelled')", name=op.f("ck_due_work_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_due_work")),
        sa.UniqueConstraint("campaign_id", "key", name=op.f("uq_due_work_campaign_id_key")),
    )
    with op.batch_alter_table("due_work", schema=None) as batch_op:
        batch_op.create_index("ix_due_work_status_due_at", ["status", "due_at"], unique=False)

    with op.batch_alter_table("lease", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_tick_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_tick_now", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lease", schema=None) as batch_op:
        batch_op.drop_column("last_tick_now")
        batch_op.drop_column("last_tick_at")
        batch_op.drop_column("acquired_at")

    with op.batch_alter_table("due_work", schema=None) as batch_op:
        batch_op.drop_index("ix_due_work_status_due_at")

    op.drop_table("due_work")
