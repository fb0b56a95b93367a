"""What the simulation reads back from the database (SQLAlchemy Core, read-only).

The day's funnel, the messages a round sent (what lands in mailboxes), the
states of named dossiers, the outbox and audit counts of the summary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Integer, Table, func, select
from sqlalchemy import cast as sql_cast

from dacapo.store.database import Database
from dacapo.store.tables import AuditRow, Dossier, Family, OutboxRow, Student


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


OUTBOX, DOSSIER, STUDENT, FAMILY, AUDIT = (
    _table(m) for m in (OutboxRow, Dossier, Student, Family, AuditRow)
)


def state_counts(database: Database, campaign_id: str) -> dict[tuple[str, str], int]:
    """Dossiers of the campaign per (workflow, state), now."""
    query = (
        select(DOSSIER.c.workflow, DOSSIER.c.state, func.count())
        .where(DOSSIER.c.campaign_id == campaign_id)
        .group_by(DOSSIER.c.workflow, DOSSIER.c.state)
    )
    with database.unit_of_work(read_only=True) as uow:
        return {(w, s): int(n) for w, s, n in uow.session.execute(query)}


def sent_at(database: Database, now: dt.datetime) -> list[tuple[str, str | None, str, str, str]]:
    """Messages sent at ``now``: (family ref, dossier ref, event, template, channel), in order."""
    family_id = func.coalesce(OUTBOX.c.family_id, STUDENT.c.family_id)
    query = (
        select(FAMILY.c.ref, DOSSIER.c.ref, OUTBOX.c.event, OUTBOX.c.template, OUTBOX.c.channel)
        .select_from(OUTBOX)
        .outerjoin(DOSSIER, DOSSIER.c.id == OUTBOX.c.dossier_id)
        .outerjoin(STUDENT, STUDENT.c.id == DOSSIER.c.student_id)
        .join(FAMILY, FAMILY.c.id == family_id)
        .where(OUTBOX.c.status == "sent", OUTBOX.c.sent_at == now)
        .order_by(OUTBOX.c.id)
    )
    with database.unit_of_work(read_only=True) as uow:
        return [(f, d, e, t, c) for f, d, e, t, c in uow.session.execute(query)]


def states(database: Database, refs: Sequence[str]) -> dict[str, str]:
    """The state of each dossier named."""
    query = select(DOSSIER.c.ref, DOSSIER.c.state).where(DOSSIER.c.ref.in_(list(refs)))
    with database.unit_of_work(read_only=True) as uow:
        return {str(ref): str(state) for ref, state in uow.session.execute(query)}


def outbox_counts(database: Database) -> list[tuple[str, str, str, int]]:
    """(template, channel, status, messages), sorted."""
    columns = (OUTBOX.c.template, OUTBOX.c.channel, OUTBOX.c.status)
    query = select(*columns, func.count()).group_by(*columns).order_by(*columns)
    with database.unit_of_work(read_only=True) as uow:
        return [(t, c, s, int(n)) for t, c, s, n in uow.session.execute(query)]


def audit_counts(database: Database, campaign_id: str) -> tuple[int, int]:
    """The campaign's audit rows, and how many of them are marked simulated."""
    query = (
        select(func.count(), func.coalesce(func.sum(sql_cast(AUDIT.c.simulated, Integer)), 0))
        .select_from(AUDIT)
        .join(DOSSIER, DOSSIER.c.id == AUDIT.c.dossier_id)
        .where(DOSSIER.c.campaign_id == campaign_id)
    )
    with database.unit_of_work(read_only=True) as uow:
        rows, simulated = uow.session.execute(query).one()
    return int(rows), int(simulated)
