"""Writing imported families: an idempotent, set-based upsert.

Families and students are matched by ``(site_code, ref)``, guardians by
``(family_id, position)``. Work goes in chunks of families: per chunk and
table, one SELECT of the rows that exist, then one executemany INSERT of the
new rows and one executemany UPDATE of the changed ones (SQLAlchemy Core, no
ORM objects). Unchanged rows are not written, so a second import of the same
file writes nothing.

What the import never does: delete. A student missing from the file keeps
its row and status; a guardian position the file leaves empty (guardian 2
gone) keeps its row: the file reflects the previous system, which may lag
behind what the family told us since, and removing a contact is a deliberate
act. A changed email clears ``email_bounced``. Imported students are
``continuing`` pupils.

The caller owns the transaction: one unit of work for the whole file, so a
failure writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, insert, select
from sqlmodel import Session

from dacapo.engine.errors import NotFound
from dacapo.engine.imports import FamilyIn
from dacapo.store.bulk import chunks, insert_rows, select_in, update_by_id
from dacapo.store.site_campaigns import latest_site_campaign
from dacapo.store.tables import Family, Guardian, Site, Student

FAMILY: Table = Family.__table__  # type: ignore[attr-defined]
GUARDIAN: Table = Guardian.__table__  # type: ignore[attr-defined]
STUDENT: Table = Student.__table__  # type: ignore[attr-defined]
SITE: Table = Site.__table__  # type: ignore[attr-defined]

FAMILY_FIELDS = ("address", "postcode", "city")
GUARDIAN_FIELDS = ("last_name", "first_name", "email", "mobile", "email_bounced")
STUDENT_FIELDS = (
    *("family_id", "last_name", "first_name", "birth_date", "discipline", "cycle"),
    *("instrument", "school", "school_level", "status"),
)
CHUNK = 1000  # families per chunk


@dataclass
class Counts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged

    def __str__(self) -> str:
        return f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class ImportSummary:
    """What an import wrote. A family is *updated* when its row or a guardian changed."""

    families: Counts = field(default_factory=Counts)
    guardians: Counts = field(default_factory=Counts)
    students: Counts = field(default_factory=Counts)


def ensure_site_code(session: Session, code: str) -> None:
    """Create the site ``code`` if unknown (named after its code until a campaign names it)."""
    if session.execute(select(SITE.c.id).where(SITE.c.code == code)).first() is None:
        session.execute(insert(SITE).values(code=code, name=code))


def site_catalog(session: Session, site_code: str) -> tuple[list[str], list[str]] | None:
    """The disciplines and cycles of the site's latest campaign, if one was loaded."""
    try:
        _, campaign = latest_site_campaign(session, site_code)
    except NotFound:
        return None
    return list(campaign.catalog.disciplines), list(campaign.catalog.cycles)


def import_families(
    session: Session, site_code: str, families: Sequence[FamilyIn], *, now: dt.datetime
) -> ImportSummary:
    """Insert or update ``families`` (guardians and students included) at ``site_code``."""
    ensure_site_code(session, site_code)
    summary = ImportSummary()
    for chunk in chunks(families, CHUNK):
        ids, existed, changed = _families(session, site_code, chunk, now)
        changed |= _guardians(session, chunk, ids, summary.guardians)
        _students(session, site_code, chunk, ids, summary.students)
        updated = len(changed & existed)
        summary.families.new += len(chunk) - len(existed)
        summary.families.updated += updated
        summary.families.unchanged += len(existed) - updated
    return summary


def _differs(row: Any, values: dict[str, Any]) -> bool:
    return any(getattr(row, key) != value for key, value in values.items())


def _families(
    session: Session, site: str, chunk: Sequence[FamilyIn], now: dt.datetime
) -> tuple[dict[str, int], set[str], set[str]]:
    """Family ids by ref; the refs that existed; the refs whose family row changed."""
    query = select(FAMILY.c.id, FAMILY.c.ref, *(FAMILY.c[f] for f in FAMILY_FIELDS))
    query = query.where(FAMILY.c.site_code == site)
    refs = [family.ref for family in chunk]
    existing = {row.ref: row for row in select_in(session, query, FAMILY.c.ref, refs)}
    new, changed = [], []
    for family in chunk:
        values = {f: getattr(family, f) for f in FAMILY_FIELDS}
        row = existing.get(family.ref)
        if row is None:
            new.append({"site_code": site, "ref": family.ref, **values})
        elif _differs(row, values):
            changed.append({"id": row.id, **values, "updated_at": now})
    ids = {ref: row.id for ref, row in existing.items()}
    rows = [{**row, "created_at": now, "updated_at": now} for row in new]
    ids.update(
        {ref: id_ for id_, ref in insert_rows(session, FAMILY, rows, returning=("id", "ref"))}
    )
    update_by_id(session, FAMILY, (*FAMILY_FIELDS, "updated_at"), changed)
    changed_ids = {values["id"] for values in changed}
    return ids, set(existing), {ref for ref, row in existing.items() if row.id in changed_ids}


def _guardians(
    session: Session, chunk: Sequence[FamilyIn], ids: dict[str, int], counts: Counts
) -> set[str]:
    """Guardians by position, added or updated; the refs of the families concerned."""
    query = select(GUARDIAN.c.id, GUARDIAN.c.family_id, GUARDIAN.c.position)
    query = query.add_columns(*(GUARDIAN.c[f] for f in GUARDIAN_FIELDS))
    family_ids = [ids[family.ref] for family in chunk]
    existing = {
        (row.family_id, row.position): row
        for row in select_in(session, query, GUARDIAN.c.family_id, family_ids)
    }
    new, changed, touched = [], [], set()
    for family in chunk:
        family_id = ids[family.ref]
        for position, guardian in enumerate(family.guardians, start=1):
            row = existing.get((family_id, position))
            values = {**guardian.model_dump(), "email_bounced": False}
            if row is None:
                new.append({"family_id": family_id, "position": position, **values})
                touched.add(family.ref)
                continue
            if row.email == guardian.email:
                values["email_bounced"] = row.email_bounced  # a new address has not bounced yet
            if _differs(row, values):
                changed.append({"id": row.id, **values})
                touched.add(family.ref)
            else:
                counts.unchanged += 1
    insert_rows(session, GUARDIAN, new)
    update_by_id(session, GUARDIAN, GUARDIAN_FIELDS, changed)
    counts.new += len(new)
    counts.updated += len(changed)
    return touched


def _students(
    session: Session, site: str, chunk: Sequence[FamilyIn], ids: dict[str, int], counts: Counts
) -> None:
    """Students by ref: added, or updated (a pupil may even move to another family)."""
    query = select(STUDENT.c.id, STUDENT.c.ref, *(STUDENT.c[f] for f in STUDENT_FIELDS))
    query = query.where(STUDENT.c.site_code == site)
    refs = [student.ref for family in chunk for student in family.students]
    existing = {row.ref: row for row in select_in(session, query, STUDENT.c.ref, refs)}
    new, changed = [], []
    for family in chunk:
        for student in family.students:
            values = student.model_dump(exclude={"ref", "row"})
            values.update(family_id=ids[family.ref], status="continuing")
            row = existing.get(student.ref)
            if row is None:
                new.append({"site_code": site, "ref": student.ref, **values})
            elif _differs(row, values):
                changed.append({"id": row.id, **values})
    insert_rows(session, STUDENT, new)
    update_by_id(session, STUDENT, STUDENT_FIELDS, changed)
    counts.new += len(new)
    counts.updated += len(changed)
    counts.unchanged += len(existing) - len(changed)
