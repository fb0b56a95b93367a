"""The desk's helpers for evidence tests: a family without documents, adding and
reviewing through the services, and counting what was written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select

from dacapo.campaigns.schema import Role
from dacapo.engine.services import fire
from dacapo.rules import checklist
from dacapo.rules.findings import Finding, Status
from dacapo.rules.snapshot import Actor
from dacapo.store.campaign_versions import campaign_of, get_campaign_version
from dacapo.store.database import Database
from dacapo.store.documents import AddedDocument, DocumentFacts, Owner, add_document
from dacapo.store.dossiers import dossier_ref, get_dossier, load_snapshot
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.reviews import Decision, Review, review_document
from dacapo.store.tables import (
    Answer,
    AuditRow,
    Document,
    Dossier,
    Family,
    Guardian,
    OutboxRow,
    Student,
)
from tests.unit.files.samples import jpeg, pdf

NOW = dt.datetime(2023, 5, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
STAFF = Actor(Role.STAFF, "secretariat")
CLAIRE = Actor(Role.GUARDIAN, "claire.f1@example.org")
SIGNED = DocumentFacts(signed=True)
QUOTIENT = DocumentFacts(valid_from=dt.date(2023, 1, 1), valid_until=dt.date(2023, 12, 31))
PHOTO = DocumentFacts(issued=dt.date(2023, 3, 1))


def seed_bare_family(db: Database, family_ref: str = "F1", pupils: int = 2) -> list[str]:
    """A complete family with ``pupils`` invited dossiers and no document at all."""
    with db.unit_of_work() as uow:
        session = uow.session
        family = Family(
            site_code="malakoff",
            ref=family_ref,
            address="12 rue Pierre Larousse",
            postcode="92240",
            city="Malakoff",
        )
        session.add(family)
        session.flush()
        assert family.id is not None
        session.add(
            Guardian(
                family_id=family.id,
                position=1,
                last_name="Lefèvre",
                first_name="Claire",
                email=f"claire.{family_ref.lower()}@example.org",
                mobile="+33612345678",
            )
        )
        refs = []
        for index in range(pupils):
            student = Student(
                family_id=family.id,
                site_code="malakoff",
                ref=f"{family_ref}-S{index + 1}",
                last_name="Lefèvre",
                first_name=("Zoé", "Léo")[index % 2],
                birth_date=dt.date(2012, 3, 14),
                discipline="musique",
                cycle="cycle_1",
                school="Collège Paul Bert",
                school_level="5e",
            )
            session.add(student)
            session.flush()
            assert student.id is not None
            dossier = Dossier(
                ref=dossier_ref("malakoff", "2023/2024", student.ref),
                campaign_id="malakoff-2023-2024",
                campaign_version=1,
                workflow="reenrolment",
                window="reenrolment",
                student_id=student.id,
                state="invited",
            )
            session.add(dossier)
            session.flush()
            assert dossier.id is not None
            session.add(Answer(dossier_id=dossier.id, intent=True))
            refs.append(dossier.ref)
        uow.commit()
    return refs


def add(
    db: Database,
    store_dir: Path,
    kind: str,
    content: bytes,
    owner: Owner,
    facts: DocumentFacts = DocumentFacts(),
    *,
    name: str = "scan.pdf",
    actor: Actor = STAFF,
    max_bytes: int = 1024 * 1024,
) -> AddedDocument:
    with db.unit_of_work() as uow:
        added = add_document(
            uow.session,
            kind,
            content,
            owner,
            facts,
            original_name=name,
            store_dir=store_dir,
            max_bytes=max_bytes,
            actor=actor,
            now=NOW,
        )
        uow.commit()
    return added


def review(db: Database, document_id: int, decision: Decision, reason: str | None = None) -> Review:
    with db.unit_of_work() as uow:
        result = review_document(
            uow.session,
            document_id,
            decision,
            actor=STAFF,
            now=NOW,
            reason=reason,
        )
        uow.commit()
    return result


def family(ref: str = "F1") -> Owner:
    return Owner(family_ref=ref, site="malakoff")


def checklist_of(db: Database, ref: str) -> list[Finding]:
    with db.unit_of_work(read_only=True) as uow:
        dossier = get_dossier(uow.session, ref)
        version = get_campaign_version(uow.session, dossier.campaign_id, dossier.campaign_version)
        assert version is not None
        return checklist(campaign_of(version), load_snapshot(uow.session, dossier), NOW).whole


def findings(db: Database, ref: str) -> dict[str, Status]:
    """Document findings of the dossier's checklist, by requirement."""
    return {f.item: f.status for f in checklist_of(db, ref) if f.code.startswith("documents.")}


def counts(db: Database) -> tuple[int, int, int]:
    with db.unit_of_work(read_only=True) as uow:
        return tuple(  # type: ignore[return-value]
            uow.session.exec(select(func.count()).select_from(table)).one()
            for table in (Document, AuditRow, OutboxRow)
        )


def audit_events(db: Database, ref: str) -> list[tuple[str, str, str, str | None]]:
    with db.unit_of_work(read_only=True) as uow:
        dossier = get_dossier(uow.session, ref)
        rows = uow.session.exec(
            select(AuditRow).where(AuditRow.dossier_id == dossier.id).order_by(col(AuditRow.seq))
        ).all()
        return [(r.event, r.from_state, r.to_state, r.reason) for r in rows]


def listing(store_dir: Path) -> list[Path]:
    return sorted(p for p in store_dir.rglob("*")) if store_dir.exists() else []


def supplied(db: Database, store_dir: Path, refs: list[str]) -> int:
    """Both family documents and the first pupil's photo; the first dossier at documents_supplied.

    Returns the photo's document id.
    """
    add(db, store_dir, "payment_form", pdf(), family(), SIGNED)
    add(db, store_dir, "quotient_card", pdf(b"<< >>"), family(), QUOTIENT)
    photo = add(db, store_dir, "id_photo", jpeg(), Owner(dossier_ref=refs[0]), PHOTO)
    for event in ("verify_identity", "supply_documents"):
        with db.unit_of_work() as uow:
            fire(SqlDossierStore(uow.session), refs[0], event, CLAIRE, now=NOW)
            uow.commit()
    return photo.id


def state(db: Database, ref: str) -> str:
    with db.unit_of_work(read_only=True) as uow:
        return get_dossier(uow.session, ref).state
