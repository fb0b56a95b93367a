"""Cheap seeding for the model test: one family, its pupils and their invited dossiers,
written with SQLAlchemy Core in one transaction: six statements, about a millisecond."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, insert
from sqlmodel import Session

from dacapo.store.audit_bulk import Entry, insert_audit_rows
from dacapo.store.dossiers import dossier_ref
from dacapo.store.tables import Answer, Document, Dossier, Family, Guardian, Student
from tests.reliability.oracle import DOCUMENTS, Doc, FamilyModel, Pupil

CAMPAIGN = "malakoff-2023-2024"
SEEDED_AT = dt.datetime(2023, 5, 1, 8, 0, tzinfo=dt.UTC)
MOBILE = "+33612345678"
# kind -> (birth date, discipline, cycle, school, school level)
PUPILS: dict[str, tuple[dt.date, str, str, str | None, str | None]] = {
    "child": (dt.date(2012, 3, 14), "musique", "cycle_1", "Collège Paul Bert", "5e"),
    "eveil": (dt.date(2018, 4, 2), "musique", "eveil", "École Jean Jaurès", "GS"),
    "dance": (dt.date(2010, 11, 5), "danse", "cycle_2", "Collège Henri Wallon", "4e"),
    "adult": (dt.date(2005, 9, 1), "musique", "cycle_3", None, None),  # 18 on 1 September
    "nearly_adult": (dt.date(2005, 9, 2), "theatre", "cycle_3", "Lycée Michelet", "Terminale"),
}


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


FAMILY, GUARDIAN, STUDENT, DOSSIER, ANSWER, DOCUMENT = (
    _table(t) for t in (Family, Guardian, Student, Dossier, Answer, Document)
)
# Built once; "insertmanyvalues" gives the ids back in the order of the rows.
_IDS = {t.name: insert(t).returning(t.c.id, sort_by_parameter_order=True)
        for t in (FAMILY, STUDENT, DOSSIER, DOCUMENT)}  # fmt: skip
_PLAIN = {t.name: insert(t) for t in (GUARDIAN, ANSWER)}


def _ids(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    return list(connection.execute(_IDS[table.name], rows).scalars())


@dataclass(frozen=True)
class Profile:
    """A family as drawn by Hypothesis."""

    kinds: tuple[str, ...]  # one per pupil
    intents: tuple[bool | None, ...]
    preferences: tuple[tuple[str, ...], ...]
    second_guardian: bool
    complete: bool
    prefilled: bool  # the family's and pupils' valid documents already on file
    depth: int = 0  # steps of PATH already taken, as far as the family's data allowed them


# The first steps towards « confirmed », seeded as if a guardian had taken them (audit rows
# chained as the engine chains them): examples start deeper without paying for ``fire``.
PATH = (("verify_identity", "invited", "identity_verified"),
        ("supply_documents", "identity_verified", "documents_supplied"))  # fmt: skip
TAKEN_AT = dt.datetime(2023, 5, 12, 8, 0, tzinfo=dt.UTC)


def reached(profile: Profile, index: int) -> int:
    """How many steps of PATH pupil ``index`` could have taken (their guards met)."""
    if not profile.complete:
        return 0
    ready = (
        profile.prefilled
        and profile.intents[index] is True
        and (profile.kinds[index] != "eveil" or len(profile.preferences[index]) >= 2)
    )
    return min(profile.depth, 2 if ready else 1)


def seed(connection: Connection, number: int, profile: Profile) -> FamilyModel:
    """Write the family of ``profile`` as ``F{number}`` in seven statements; the caller
    commits."""
    ref = f"F{number}"
    [family_id] = _ids(connection, FAMILY, [{
        "site_code": "malakoff", "ref": ref, "address": "12 rue Pierre Larousse",
        "postcode": "92240", "city": "Malakoff" if profile.complete else None,
        "created_at": SEEDED_AT, "updated_at": SEEDED_AT,
    }])  # fmt: skip
    emails = [f"claire.{ref.lower()}@example.org"]
    guardians = [("Lefèvre", "Claire", emails[0], MOBILE)]
    if profile.second_guardian:
        emails.append(f"moussa.{ref.lower()}@example.org")
        guardians.append(("N'Diaye", "Moussa", emails[1], None))
    connection.execute(_PLAIN["guardian"], [
        {"family_id": family_id, "position": position, "last_name": last, "first_name": first,
         "email": email, "mobile": mobile, "email_bounced": False}
        for position, (last, first, email, mobile) in enumerate(guardians, start=1)
    ])  # fmt: skip
    students = []
    for index, kind in enumerate(profile.kinds):
        birth, discipline, cycle, school, level = PUPILS[kind]
        student_ref = f"{ref}-S{index + 1}"
        adult_age = kind in ("adult", "nearly_adult")
        students.append({
            "family_id": family_id, "site_code": "malakoff", "ref": student_ref,
            "last_name": "Lefèvre", "first_name": ("Zoé", "Léo")[index % 2],
            "birth_date": birth, "discipline": discipline, "cycle": cycle, "school": school,
            "school_level": level, "status": "continuing",
            "email": f"{student_ref.lower()}@example.org" if adult_age else None,
        })  # fmt: skip
    student_ids = _ids(connection, STUDENT, students)
    depths = [reached(profile, index) for index in range(len(students))]
    dossier_ids = _ids(connection, DOSSIER, [
        {"ref": dossier_ref("malakoff", "2023/2024", student["ref"]), "campaign_id": CAMPAIGN,
         "campaign_version": 1, "workflow": "reenrolment", "window": "reenrolment",
         "student_id": student_id, "state": PATH[depth - 1][2] if depth else "invited",
         "version": 1 + depth, "created_at": SEEDED_AT, "updated_at": SEEDED_AT}
        for student, student_id, depth in zip(students, student_ids, depths, strict=True)
    ])  # fmt: skip
    insert_audit_rows(Session(connection), [
        (dossier_id, Entry(event, before, after, emails[0], "guardian", None, TAKEN_AT,
                           SEEDED_AT, 1))
        for dossier_id, depth in zip(dossier_ids, depths, strict=True)
        for event, before, after in PATH[:depth]
    ])  # fmt: skip
    connection.execute(_PLAIN["answer"], [
        {"dossier_id": dossier_id, "intent": intent, "remarks": "",
         "preferences": list(preferences), "support_requested": False}
        for dossier_id, intent, preferences
        in zip(dossier_ids, profile.intents, profile.preferences, strict=True)
    ])  # fmt: skip
    model = FamilyModel(ref, tuple(emails), (MOBILE,), profile.complete, [])
    for index, kind in enumerate(profile.kinds):
        student = students[index]
        pupil = Pupil(
            dossier_ref("malakoff", "2023/2024", student["ref"]),
            student["ref"],
            kind,
            dossier_ids[index],
            student["email"],
            state=PATH[depths[index] - 1][2] if depths[index] else "invited",
            version=1 + depths[index],
            audit_rows=depths[index],
            transitions=depths[index],
            intent=profile.intents[index],
            preferences=profile.preferences[index],
        )
        model.pupils.append(pupil)
    if profile.prefilled:
        photo, form, card = DOCUMENTS[6], DOCUMENTS[0], DOCUMENTS[2]
        owned = [(photo, index, student_id) for index, student_id in enumerate(student_ids)]
        owned += [(form, None, None), (card, None, None)]
        ids = _ids(connection, DOCUMENT, [
            {"family_id": family_id, "student_id": student_id, "kind": choice.kind,
             "status": "pending", "received_at": SEEDED_AT, "issued": choice.issued,
             "valid_from": choice.valid_from, "valid_until": choice.valid_until,
             "signed": choice.signed}
            for choice, _, student_id in owned
        ])  # fmt: skip
        model.documents += [Doc(id_, c, i) for id_, (c, i, _) in zip(ids, owned, strict=True)]
    return model
