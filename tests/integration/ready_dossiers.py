"""The bundled campaign loaded, and families whose dossiers can walk to « confirmed ».

Shared by the dossier service tests and the dossier CLI tests (which seed the
CLI's data directory through the store, as ``campaign load`` and ``family
import`` would).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Sequence
from pathlib import Path

from dacapo.campaigns.loader import LoadedCampaign
from dacapo.campaigns.schema import Campaign
from dacapo.commands.campaign import read_campaign
from dacapo.store.campaign_versions import save_campaign_version
from dacapo.store.database import Database
from dacapo.store.dossiers import dossier_ref
from dacapo.store.tables import Answer, Document, Dossier, Family, Guardian, Student

CAMPAIGN_FILE = Path(__file__).parents[2] / "campaign-2023-2024.yaml"
CAMPAIGN = "malakoff-2023-2024"
LOADED_AT = dt.datetime(2023, 5, 1, 8, 0, tzinfo=dt.UTC)
FAMILY_DOCUMENTS = ("payment_form", "income_evidence")


@functools.cache
def _bundled() -> LoadedCampaign:
    return read_campaign(CAMPAIGN_FILE)  # parsed once per process: half a second each


def load_bundled_campaign(db: Database) -> Campaign:
    """Version 1 of the bundled campaign, as ``dacapo campaign load`` stores it."""
    loaded = _bundled()
    with db.unit_of_work() as uow:
        save_campaign_version(
            uow.session,
            loaded.campaign,
            source_text=loaded.text,
            sha256=loaded.sha256,
            loaded_by="test",
            loaded_at=LOADED_AT,
        )
        uow.commit()
    return loaded.campaign


def seed_family(
    db: Database,
    family_ref: str = "F0100",
    pupils: Sequence[tuple[str, str]] = (("S0100", "Léa"), ("S0101", "Hugo")),
    *,
    without: Collection[str] = (),
    last_name: str = "Durand",
) -> list[str]:
    """A complete family (two guardians, its documents) and one invited dossier per pupil.

    ``without`` leaves out requirements: ``payment_form``, ``income_evidence``
    (family) or ``id_photo`` (every pupil). Returns the dossier refs.
    """
    refs: list[str] = []
    with db.unit_of_work() as uow:
        session = uow.session
        family = Family(
            site_code="malakoff",
            ref=family_ref,
            address="1 rue de la Gare",
            postcode="92240",
            city="Malakoff",
        )
        session.add(family)
        session.flush()
        assert family.id is not None
        for position, (first, email, mobile) in enumerate(
            [("Anne", "anne@example.org", "+33612345678"), ("Paul", "paul@example.org", None)],
            start=1,
        ):
            session.add(
                Guardian(
                    family_id=family.id,
                    position=position,
                    first_name=first,
                    last_name=last_name,
                    email=f"{family_ref.lower()}.{email}",
                    mobile=mobile,
                )
            )
        if "payment_form" not in without:
            session.add(Document(family_id=family.id, kind="payment_form", signed=True))
        if "income_evidence" not in without:
            session.add(
                Document(
                    family_id=family.id,
                    kind="quotient_card",
                    valid_from=dt.date(2023, 1, 1),
                    valid_until=dt.date(2023, 12, 31),
                )
            )
        for student_ref, first_name in pupils:
            student = Student(
                family_id=family.id,
                site_code="malakoff",
                ref=student_ref,
                first_name=first_name,
                last_name=last_name,
                birth_date=dt.date(2012, 3, 4),
                discipline="musique",
                cycle="cycle_1",
                instrument="Piano",
                school="Collège Paul Bert",
                school_level="6e",
            )
            session.add(student)
            session.flush()
            assert student.id is not None
            if "id_photo" not in without:
                session.add(
                    Document(
                        family_id=family.id,
                        student_id=student.id,
                        kind="id_photo",
                        issued=dt.date(2023, 3, 1),
                    )
                )
            dossier = Dossier(
                ref=dossier_ref("malakoff", "2023/2024", student_ref),
                campaign_id=CAMPAIGN,
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
