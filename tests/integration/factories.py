"""Rows for the tests: one site, one campaign version, a family with a dossier."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from dacapo.store.campaign_versions import ensure_site, latest_campaign_version
from dacapo.store.database import Database
from dacapo.store.dossiers import dossier_ref
from dacapo.store.tables import (
    Answer,
    CampaignVersion,
    Document,
    Dossier,
    Family,
    Guardian,
    Student,
)

CAMPAIGN = "malakoff-2023-2024"
NOW = dt.datetime(2023, 5, 12, 9, 30, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Seeded:
    dossier_ref: str
    dossier_id: int
    family_id: int
    student_id: int


def campaign_version(session: Session) -> CampaignVersion:
    latest = latest_campaign_version(session, CAMPAIGN)
    if latest is not None:
        return latest
    ensure_site(session, "malakoff", "Conservatoire de Malakoff")
    row = CampaignVersion(
        campaign_id=CAMPAIGN,
        version=1,
        site_code="malakoff",
        school_year="2023/2024",
        sha256="0" * 64,
        definition={"id": CAMPAIGN},
        source_text="id: malakoff-2023-2024\n",
        loaded_at=NOW,
        loaded_by="test",
    )
    session.add(row)
    session.flush()
    return row


def seed_dossier(db: Database, student_ref: str = "S0042", family_ref: str = "F0042") -> Seeded:
    """A family (two guardians, two documents), a student, a dossier with answers."""
    with db.unit_of_work() as uow:
        session = uow.session
        campaign_version(session)
        family = Family(
            site_code="malakoff", ref=family_ref, address="1 rue de la Gare", postcode="92240"
        )
        family.city = "Malakoff"
        session.add(family)
        session.flush()
        assert family.id is not None
        session.add(
            Guardian(family_id=family.id, position=2, first_name="Paul", last_name="Durand")
        )
        session.add(
            Guardian(
                family_id=family.id,
                position=1,
                first_name="Anne",
                last_name="Durand",
                email="anne@example.org",
                mobile="+33612345678",
            )
        )
        student = Student(
            family_id=family.id,
            site_code="malakoff",
            ref=student_ref,
            first_name="Léa",
            last_name="Durand",
            birth_date=dt.date(2012, 3, 4),
            discipline="musique",
            cycle="cycle_1",
            instrument="Piano",
        )
        session.add(student)
        session.flush()
        assert student.id is not None
        dossier = Dossier(
            ref=dossier_ref("malakoff", "2023/2024", student_ref),
            campaign_id=CAMPAIGN,
            campaign_version=1,
            workflow="reenrolment",
            window="reenrolment",
            student_id=student.id,
            state="invited",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(dossier)
        session.flush()
        assert dossier.id is not None
        session.add(Answer(dossier_id=dossier.id, intent=True, preferences=["piano", "violon"]))
        session.add(
            Document(
                family_id=family.id,
                kind="quotient_card",
                status="accepted",
                valid_until=dt.date(2023, 12, 31),
                received_at=NOW,
            )
        )
        session.add(
            Document(family_id=family.id, student_id=student.id, kind="id_photo", received_at=NOW)
        )
        uow.commit()
        return Seeded(dossier.ref, dossier.id, family.id, student.id)
