"""What the rules see of a dossier: plain, frozen data (no ORM, no I/O)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from dacapo.campaigns.schema import Role


@dataclass(frozen=True)
class Guardian:
    ref: str
    last_name: str | None = None
    first_name: str | None = None
    email: str | None = None
    mobile: str | None = None

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.ref


@dataclass(frozen=True)
class Family:
    ref: str
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    guardians: tuple[Guardian, ...] = ()


@dataclass(frozen=True)
class Student:
    ref: str
    last_name: str | None = None
    first_name: str | None = None
    birth_date: dt.date | None = None
    discipline: str | None = None
    cycle: str | None = None
    instrument: str | None = None
    school: str | None = None
    school_level: str | None = None
    email: str | None = None
    mobile: str | None = None
    # « Utiliser les coordonnées du responsable légal »: empty means the family's.
    postcode: str | None = None
    city: str | None = None
    status: str = "continuing"

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.ref


class DocumentStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Document:
    """A supplied document. ``student_ref`` is None for a family-level one."""

    id: str
    kind: str
    status: DocumentStatus = DocumentStatus.PENDING
    student_ref: str | None = None
    issued: dt.date | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    tax_year: int | None = None
    income_year: int | None = None
    signed: bool = False
    received_at: dt.datetime | None = None
    rejection_reason: str | None = None


@dataclass(frozen=True)
class Answers:
    intent: bool | None = None
    remarks: str = ""
    preferences: tuple[str, ...] = ()
    support_requested: bool = False


@dataclass(frozen=True)
class DossierSnapshot:
    ref: str
    workflow: str
    window: str
    state: str
    family: Family
    student: Student
    documents: tuple[Document, ...] = ()
    answers: Answers = field(default_factory=Answers)
    house_rules_version: str | None = None
    deadline: dt.date | None = None


@dataclass(frozen=True)
class Actor:
    """Who fires an event: ``id`` is a staff login, a guardian email or a student ref."""

    role: Role
    id: str

    def __str__(self) -> str:
        return f"{self.role.value}:{self.id}"
