"""The closed catalogue of fields that campaign files may name.

A field path is ``family.X``, ``guardian.X`` (each guardian of the family) or
``student.X``. ``student.postcode`` and ``student.city`` fall back to the
family's address (« Utiliser les coordonnées du responsable légal »), and
``student.adult`` is derived from the birth date and the first day of the
school year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from dacapo.rules.snapshot import DossierSnapshot

Vocabulary = Literal["disciplines", "cycles", "instruments", "status", "bool"]


@dataclass(frozen=True)
class FieldInfo:
    label: str
    vocabulary: Vocabulary | None = None


FIELDS: dict[str, FieldInfo] = {
    "family.address": FieldInfo("Adresse"),
    "family.postcode": FieldInfo("Code postal"),
    "family.city": FieldInfo("Ville"),
    "guardian.last_name": FieldInfo("Nom du responsable"),
    "guardian.first_name": FieldInfo("Prénom du responsable"),
    "guardian.email": FieldInfo("Email du responsable"),
    "guardian.mobile": FieldInfo("Numéro SMS du responsable"),
    "student.last_name": FieldInfo("Nom de l'élève"),
    "student.first_name": FieldInfo("Prénom de l'élève"),
    "student.birth_date": FieldInfo("Date de naissance"),
    "student.postcode": FieldInfo("Code postal de l'élève"),
    "student.city": FieldInfo("Ville de l'élève"),
    "student.school": FieldInfo("Établissement scolaire"),
    "student.school_level": FieldInfo("Niveau scolaire"),
    "student.email": FieldInfo("Email de l'élève"),
    "student.mobile": FieldInfo("Mobile de l'élève"),
    "student.discipline": FieldInfo("Discipline", "disciplines"),
    "student.cycle": FieldInfo("Cycle", "cycles"),
    "student.instrument": FieldInfo("Instrument", "instruments"),
    "student.status": FieldInfo("Statut de l'élève", "status"),
    "student.adult": FieldInfo("Élève majeur", "bool"),
}

STUDENT_STATUSES = ("continuing", "new")


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def adult_on(birth: dt.date | None, school_year_starts: dt.date) -> bool:
    """18 or over on the first day of the school year (unknown birth date: not adult)."""
    return birth is not None and age_on(birth, school_year_starts) >= 18


def is_adult(snapshot: DossierSnapshot, school_year_starts: dt.date) -> bool:
    """The dossier's pupil is 18 or over on the first day of the school year."""
    return adult_on(snapshot.student.birth_date, school_year_starts)


FieldValue = str | dt.date | bool | None


def field_values(
    snapshot: DossierSnapshot, path: str, school_year_starts: dt.date
) -> list[tuple[str | None, FieldValue]]:
    """The value(s) of a field: one per guardian for ``guardian.*``.

    Each value comes with the subject it belongs to (a guardian's name), or
    None for family and student fields.
    """
    if path not in FIELDS:
        raise KeyError(path)
    scope, name = path.split(".", 1)
    if scope == "guardian":
        return [(g.display_name, getattr(g, name)) for g in snapshot.family.guardians]
    if scope == "family":
        return [(None, getattr(snapshot.family, name))]
    if name == "adult":
        return [(None, is_adult(snapshot, school_year_starts))]
    value = getattr(snapshot.student, name)
    if name in ("postcode", "city") and not value:
        value = getattr(snapshot.family, name)
    return [(None, value)]
