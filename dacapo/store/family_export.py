"""Everything Da Capo holds about one family (the right of access, RGPD art. 15).

Every column of every row that concerns the family: the family, its
guardians and students, the students' dossiers with their answers, the
documents (metadata: the files themselves stay on disk, named by their
sha256), the audit rows of its dossiers and the outbox messages addressed to
it. Columns are read from the tables, not listed by hand, so a column added
later is exported too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, or_, select
from sqlmodel import Session

from dacapo.engine.errors import NotFound
from dacapo.store.tables import (
    Answer,
    AuditRow,
    Document,
    Dossier,
    Family,
    Guardian,
    OutboxRow,
    Site,
    Student,
)


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def export_family(
    session: Session, site_code: str, ref: str, *, now: dt.datetime
) -> dict[str, Any]:
    """A JSON-ready document of the family ``ref`` at ``site_code``, or ``NotFound``."""
    family_t, site_t = _table(Family), _table(Site)
    family = session.execute(
        select(family_t).where(family_t.c.site_code == site_code, family_t.c.ref == ref)
    ).first()
    if family is None:
        raise NotFound(f"No family {ref!r} at site {site_code!r}")
    site = session.execute(select(site_t).where(site_t.c.code == site_code)).one()
    students = _rows(session, Student, lambda t: t.c.family_id == family.id, "ref")
    student_ids = [s["id"] for s in students]
    dossiers = _rows(session, Dossier, lambda t: t.c.student_id.in_(student_ids), "ref")
    dossier_ids = [d["id"] for d in dossiers]
    answers = _rows(session, Answer, lambda t: t.c.dossier_id.in_(dossier_ids), "dossier_id")
    by_dossier = {answer["dossier_id"]: answer for answer in answers}
    for dossier in dossiers:
        dossier["answers"] = by_dossier.get(dossier["id"])
    return {
        "exported_at": now,
        "site": dict(site._mapping),
        "family": dict(family._mapping),
        "guardians": _rows(session, Guardian, lambda t: t.c.family_id == family.id, "position"),
        "students": students,
        "dossiers": dossiers,
        "documents": _rows(session, Document, lambda t: t.c.family_id == family.id, "id"),
        "audit": _rows(session, AuditRow, lambda t: t.c.dossier_id.in_(dossier_ids), "id"),
        "outbox": _rows(
            session,
            OutboxRow,
            lambda t: or_(t.c.family_id == family.id, t.c.dossier_id.in_(dossier_ids)),
            "id",
        ),
    }


def _rows(
    session: Session, model: type[Any], where: Callable[[Table], Any], order: str
) -> list[dict[str, Any]]:
    """Every column of the rows of ``model`` matching ``where(table)``."""
    table = _table(model)
    query = select(table).where(where(table)).order_by(table.c[order])
    return [dict(row._mapping) for row in session.execute(query)]
