"""Finding dossiers and building what the rules see of one (a snapshot)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_
from sqlmodel import Session, col, select

from dacapo.engine.errors import ConcurrentUpdate, DossierNotFound
from dacapo.rules import snapshot as snap
from dacapo.store.tables import Answer, Document, Dossier, Family, Guardian, Student


def dossier_ref(site_code: str, school_year: str, student_ref: str) -> str:
    """``malakoff-2023-2024-S0042`` for site malakoff, 2023/2024, student S0042."""
    return f"{site_code}-{school_year.replace('/', '-')}-{student_ref}"


def guardian_ref(family_ref: str, position: int) -> str:
    """The snapshot's identifier of a guardian: ``F0042/1`` (family ref / position)."""
    return f"{family_ref}/{position}"


def get_dossier(session: Session, ref: str, *, expected_version: int | None = None) -> Dossier:
    """The dossier ``ref``, or ``DossierNotFound``.

    ``expected_version``: the version the user saw (a form, a previous command);
    a different one means someone changed the dossier since: ``ConcurrentUpdate``.
    """
    dossier = session.exec(select(Dossier).where(Dossier.ref == ref)).one_or_none()
    if dossier is None:
        raise DossierNotFound(ref)
    if expected_version is not None and dossier.version != expected_version:
        raise ConcurrentUpdate(ref)
    return dossier


def load_snapshot(session: Session, dossier: Dossier) -> snap.DossierSnapshot:
    """Family, guardians, student, documents (the family's and this student's), answers."""
    student = session.get_one(Student, dossier.student_id)
    family = session.get_one(Family, student.family_id)
    guardians = session.exec(
        select(Guardian).where(Guardian.family_id == family.id).order_by(col(Guardian.position))
    ).all()
    documents = session.exec(
        select(Document)
        .where(Document.family_id == family.id)
        .where(or_(col(Document.student_id).is_(None), col(Document.student_id) == student.id))
        .order_by(col(Document.id))
    ).all()
    answer = session.get(Answer, dossier.id) if dossier.id is not None else None
    return build_snapshot(dossier, student, family, guardians, documents, answer)


def build_snapshot(
    dossier: Dossier,
    student: Student,
    family: Family,
    guardians: Iterable[Guardian],
    documents: Iterable[Document],
    answer: Answer | None,
) -> snap.DossierSnapshot:
    """The snapshot from rows already read (``documents``: the family's and this pupil's)."""
    return snap.DossierSnapshot(
        ref=dossier.ref,
        workflow=dossier.workflow,
        window=dossier.window,
        state=dossier.state,
        family=snap.Family(
            ref=family.ref,
            address=family.address,
            postcode=family.postcode,
            city=family.city,
            guardians=tuple(
                snap.Guardian(
                    ref=guardian_ref(family.ref, g.position),
                    last_name=g.last_name,
                    first_name=g.first_name,
                    email=g.email,
                    mobile=g.mobile,
                )
                for g in guardians
            ),
        ),
        student=_student(student),
        documents=tuple(_document(d, student) for d in documents),
        answers=_answers(answer),
        house_rules_version=dossier.house_rules_version,
        deadline=dossier.deadline,
    )


def _student(s: Student) -> snap.Student:
    return snap.Student(
        ref=s.ref,
        last_name=s.last_name,
        first_name=s.first_name,
        birth_date=s.birth_date,
        discipline=s.discipline,
        cycle=s.cycle,
        instrument=s.instrument,
        school=s.school,
        school_level=s.school_level,
        email=s.email,
        mobile=s.mobile,
        postcode=s.postcode,
        city=s.city,
        status=s.status,
    )


def _document(d: Document, student: Student) -> snap.Document:
    return snap.Document(
        id=str(d.id),
        kind=d.kind,
        status=snap.DocumentStatus(d.status),
        student_ref=None if d.student_id is None else student.ref,
        issued=d.issued,
        valid_from=d.valid_from,
        valid_until=d.valid_until,
        tax_year=d.tax_year,
        income_year=d.income_year,
        signed=d.signed,
        received_at=d.received_at,
        rejection_reason=d.rejection_reason,
    )


def _answers(answer: Answer | None) -> snap.Answers:
    if answer is None:
        return snap.Answers()
    return snap.Answers(
        intent=answer.intent,
        remarks=answer.remarks,
        preferences=tuple(answer.preferences),
        support_requested=answer.support_requested,
    )
