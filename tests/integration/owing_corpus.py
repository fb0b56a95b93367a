"""Families with every kind of evidence problem, for checking who owes what.

``seed_corpus`` writes a few hand-picked families (nothing supplied, all
valid, everything wrong, a family of four pupils in every workflow state, a
new pupil) and a seeded random mix of the same ingredients: rejected,
expired, wrong tax year, unsigned, undated, too old, dated in the future,
pending or accepted; dance and non-dance pupils; siblings whose own
documents must not count for each other.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from dacapo.store.database import Database
from dacapo.store.dossiers import dossier_ref
from dacapo.store.tables import Answer, Document, Dossier, Family, Guardian, Student

CAMPAIGN = "malakoff-2023-2024"
REENROLMENT_STATES = (
    "invited",
    "identity_verified",
    "documents_supplied",
    "rules_accepted",
    "confirmed",
    "withdrawn",
    "lapsed",
)
NEW_PUPIL_STATES = ("wish_registered", "offered", "waitlisted", "enrolled", "refused")
Doc = dict[str, Any]

PAYMENT_FORMS: list[list[Doc]] = [
    [],
    [{"kind": "payment_form", "signed": True}],
    [{"kind": "payment_form", "signed": True, "status": "accepted"}],
    [{"kind": "payment_form", "signed": False}],
    [
        {
            "kind": "payment_form",
            "signed": True,
            "status": "rejected",
            "rejection_reason": "Illisible",
        }
    ],
    [
        {"kind": "payment_form", "signed": True, "status": "rejected"},
        {"kind": "payment_form", "signed": True},
    ],
]
CARD_2023 = {"valid_from": dt.date(2023, 1, 1), "valid_until": dt.date(2023, 12, 31)}
CARD_2022 = {"valid_from": dt.date(2022, 1, 1), "valid_until": dt.date(2022, 12, 31)}
NOTICE_2022 = {"tax_year": 2022, "income_year": 2021}
INCOME: list[list[Doc]] = [
    [],
    [{"kind": "quotient_card", **CARD_2023}],
    [{"kind": "quotient_card", **CARD_2022}],
    [{"kind": "quotient_card"}],
    [{"kind": "tax_notice", **NOTICE_2022, "status": "accepted"}],
    [{"kind": "tax_notice", "tax_year": 2021, "income_year": 2020}],
    [{"kind": "tax_notice", **NOTICE_2022, "status": "rejected"}],
    [{"kind": "quotient_card", **CARD_2022}, {"kind": "tax_notice", **NOTICE_2022}],
]  # fmt: skip
PHOTOS: list[list[Doc]] = [
    [],
    [{"kind": "id_photo", "issued": dt.date(2023, 3, 1)}],
    [{"kind": "id_photo", "issued": dt.date(2021, 1, 15)}],
    [{"kind": "id_photo", "issued": dt.date(2023, 12, 1)}],
    [{"kind": "id_photo"}],
    [{"kind": "id_photo", "issued": dt.date(2023, 3, 1), "status": "rejected"}],
]
CERTIFICATES: list[list[Doc]] = [
    [],
    [{"kind": "medical_certificate", "issued": dt.date(2023, 7, 3)}],
    [{"kind": "medical_certificate", "issued": dt.date(2023, 5, 2)}],
    [{"kind": "medical_certificate", "issued": dt.date(2023, 7, 3), "status": "rejected"}],
]


@dataclass
class Pupil:
    first_name: str
    discipline: str | None = "musique"
    state: str = "invited"
    new: bool = False  # a new pupil's wish (new_pupil workflow, new_pupils window)
    documents: list[Doc] = field(default_factory=list)
    deadline: dt.date | None = None
    birth_date: dt.date = dt.date(2012, 3, 4)
    email: str | None = None  # their own (an adult pupil's counts)
    mobile: str | None = None


Contact = tuple[str, str | None, str | None]  # a guardian's first name, email, mobile


def add_family(
    session: Session,
    ref: str,
    pupils: list[Pupil],
    documents: list[Doc],
    guardians: list[Contact] | None = None,
) -> list[int]:
    """A family (by default one guardian, Anne), its documents, its pupils and their dossiers.

    Returns the dossier ids.
    """
    family = Family(site_code="malakoff", ref=ref, address="1 rue de la Gare", postcode="92240")
    family.city = "Malakoff"
    session.add(family)
    session.flush()
    assert family.id is not None
    for position, (first_name, email, mobile) in enumerate(
        guardians or [("Anne", f"{ref.lower()}@example.org", None)], start=1
    ):
        session.add(
            Guardian(
                family_id=family.id,
                position=position,
                first_name=first_name,
                last_name="Martin",
                email=email,
                mobile=mobile,
            )
        )
    session.add_all(Document(family_id=family.id, **doc) for doc in documents)
    ids = []
    for index, pupil in enumerate(pupils, start=1):
        student = Student(
            family_id=family.id,
            site_code="malakoff",
            ref=f"{ref}-S{index}",
            first_name=pupil.first_name,
            last_name="Martin",
            birth_date=pupil.birth_date,
            email=pupil.email,
            mobile=pupil.mobile,
            discipline=pupil.discipline,
            cycle="cycle_1",
            status="new" if pupil.new else "continuing",
        )
        session.add(student)
        session.flush()
        assert student.id is not None
        for doc in pupil.documents:
            session.add(Document(family_id=family.id, student_id=student.id, **doc))
        workflow, window = ("new_pupil", "new_pupils") if pupil.new else ("reenrolment",) * 2
        dossier = Dossier(
            ref=dossier_ref("malakoff", "2023/2024", student.ref),
            campaign_id=CAMPAIGN,
            campaign_version=1,
            workflow=workflow,
            window=window,
            student_id=student.id,
            state=pupil.state,
            deadline=pupil.deadline,
        )
        session.add(dossier)
        session.flush()
        assert dossier.id is not None
        session.add(Answer(dossier_id=dossier.id, intent=True))
        ids.append(dossier.id)
    return ids


def _random_pupil(rng: random.Random, name: str) -> Pupil:
    if rng.random() < 0.1:
        return Pupil(name, rng.choice(["danse", "musique"]), rng.choice(NEW_PUPIL_STATES), True)
    return Pupil(
        name,
        rng.choice(["musique", "danse", "danse", "theatre", None]),
        rng.choice(REENROLMENT_STATES),
        documents=[*rng.choice(PHOTOS), *rng.choice(CERTIFICATES)],
    )


def seed_corpus(db: Database, *, random_families: int = 30, seed: int = 7) -> None:
    """The hand-picked families F-NONE, F-VALID, F-WRONG, F-FOUR, F-NEW and a random mix."""
    rng = random.Random(seed)
    with db.unit_of_work() as uow:
        s = uow.session
        add_family(s, "F-NONE", [Pupil("Zoé"), Pupil("Awa", "danse")], [])
        add_family(
            s,
            "F-VALID",
            [
                Pupil("Léo", documents=PHOTOS[1]),
                Pupil("Inès", "danse", documents=PHOTOS[1] + CERTIFICATES[1]),
                Pupil("Théo", "danse", documents=PHOTOS[1]),
            ],
            PAYMENT_FORMS[2] + INCOME[1],
        )
        add_family(
            s,
            "F-WRONG",
            [Pupil("Chloé", "danse", documents=PHOTOS[2] + CERTIFICATES[2])],
            PAYMENT_FORMS[4] + INCOME[2] + INCOME[5],
        )
        add_family(
            s,
            "F-FOUR",  # the photo of one sibling does not count for another
            [
                Pupil("Maël", "danse", "confirmed", documents=PHOTOS[1]),
                Pupil("Anaïs", "danse", "identity_verified"),
                Pupil("João", "theatre", "rules_accepted", documents=PHOTOS[3]),
                Pupil("Raphaël", "musique", "lapsed"),
            ],
            PAYMENT_FORMS[3] + INCOME[4],
        )
        add_family(s, "F-NEW", [Pupil("Lina", "danse", "wish_registered", new=True)], [])
        for number in range(random_families):
            pupils = [_random_pupil(rng, f"Élève{i}") for i in range(rng.choice([1, 1, 2, 3, 4]))]
            family_docs = [*rng.choice(PAYMENT_FORMS), *rng.choice(INCOME)]
            add_family(s, f"F-R{number:03d}", pupils, family_docs)
        uow.commit()
