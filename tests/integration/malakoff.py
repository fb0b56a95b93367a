"""A real Malakoff set-up in a database: the bundled campaign and complete families."""

from __future__ import annotations

import datetime as dt

from dacapo.store.database import Database
from dacapo.store.dossiers import dossier_ref
from dacapo.store.tables import Answer, Document, Dossier, Family, Guardian, Student
from tests.integration.ready_dossiers import load_bundled_campaign

__all__ = ["load_bundled_campaign", "seed_family"]


def seed_family(db: Database, family_ref: str, pupils: int = 1) -> list[str]:
    """A family with two guardians, its family documents, ``pupils`` complete dossiers."""
    refs = []
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
        session.add_all(
            [
                Guardian(
                    family_id=family.id,
                    position=1,
                    last_name="Lefèvre-Durand",
                    first_name="Claire",
                    email=f"claire.{family_ref.lower()}@example.org",
                    mobile="+33612345678",
                ),
                Guardian(
                    family_id=family.id,
                    position=2,
                    last_name="N'Diaye",
                    first_name="Moussa",
                    email=f"moussa.{family_ref.lower()}@example.org",
                ),
                Document(family_id=family.id, kind="payment_form", signed=True),
                Document(
                    family_id=family.id,
                    kind="quotient_card",
                    valid_from=dt.date(2023, 1, 1),
                    valid_until=dt.date(2023, 12, 31),
                ),
            ]
        )
        for index in range(pupils):
            student = Student(
                family_id=family.id,
                site_code="malakoff",
                ref=f"{family_ref}-S{index + 1}",
                last_name="Lefèvre-Durand",
                first_name=("Zoé", "Léo", "Inès")[index % 3],
                birth_date=dt.date(2012, 3, 14),
                discipline="musique",
                cycle="cycle_1",
                school="Collège Paul Bert",
                school_level="5e",
            )
            session.add(student)
            session.flush()
            assert student.id is not None
            session.add(
                Document(
                    family_id=family.id,
                    student_id=student.id,
                    kind="id_photo",
                    issued=dt.date(2023, 3, 1),
                )
            )
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
