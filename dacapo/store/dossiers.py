"""Finding dossiers and building what the rules see of one (a snapshot).

Two builders, one result: ``build_snapshot`` from ORM rows, and
``snapshot_from_row`` from a SQLAlchemy Core row of ``SNAPSHOT_COLUMNS`` (the
engine's hot path and the bulk readers, where ORM objects cost too much).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Label, Row, Table, or_
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


def _columns(model: type[Any]) -> Any:
    return cast(Table, model.__table__).c


_D, _S, _F, _A = (_columns(t) for t in (Dossier, Student, Family, Answer))
# What ``snapshot_from_row`` reads, labelled (dossier, pupil and family all have a ``ref``):
# select them from ``dossier`` joined to ``student``, ``family`` and (outer) ``answer``.
SNAPSHOT_COLUMNS: tuple[Label[Any], ...] = (
    _D.id.label("d_id"), _D.ref.label("d_ref"), _D.workflow.label("d_workflow"),
    _D.window.label("d_window"), _D.state.label("d_state"), _D.deadline.label("d_deadline"),
    _D.house_rules_version.label("d_house_rules_version"),
    _F.id.label("f_id"), _F.ref.label("f_ref"), _F.address.label("f_address"),
    _F.postcode.label("f_postcode"), _F.city.label("f_city"),
    *(_S[name].label(f"s_{name}") for name in (
        "id", "ref", "last_name", "first_name", "birth_date", "discipline", "cycle",
        "instrument", "school", "school_level", "email", "mobile", "postcode", "city", "status",
    )),
    _A.intent.label("a_intent"), _A.remarks.label("a_remarks"),
    _A.preferences.label("a_preferences"), _A.support_requested.label("a_support_requested"),
)  # fmt: skip


def snapshot_from_row(
    row: Row[Any], guardians: Sequence[Row[Any]], documents: Sequence[Row[Any]]
) -> snap.DossierSnapshot:
    """The snapshot from a Core row of ``SNAPSHOT_COLUMNS``, the family's ``guardian``
    rows (by position) and ``document`` rows (the family's and this pupil's, by id)."""
    r = row._mapping  # by name: a Row's attributes cost microseconds each
    family_ref, student_ref = r["f_ref"], r["s_ref"]
    return snap.DossierSnapshot(
        ref=r["d_ref"],
        workflow=r["d_workflow"],
        window=r["d_window"],
        state=r["d_state"],
        family=snap.Family(
            ref=family_ref, address=r["f_address"], postcode=r["f_postcode"], city=r["f_city"],
            guardians=tuple(
                snap.Guardian(guardian_ref(family_ref, g["position"]), g["last_name"],
                              g["first_name"], g["email"], g["mobile"])
                for g in (row._mapping for row in guardians)
            ),
        ),
        student=snap.Student(
            ref=student_ref, last_name=r["s_last_name"], first_name=r["s_first_name"],
            birth_date=r["s_birth_date"], discipline=r["s_discipline"], cycle=r["s_cycle"],
            instrument=r["s_instrument"], school=r["s_school"],
            school_level=r["s_school_level"], email=r["s_email"], mobile=r["s_mobile"],
            postcode=r["s_postcode"], city=r["s_city"], status=r["s_status"],
        ),
        documents=tuple(
            snap.Document(
                id=str(d["id"]), kind=d["kind"], status=snap.DocumentStatus(d["status"]),
                student_ref=None if d["student_id"] is None else student_ref,
                issued=d["issued"], valid_from=d["valid_from"], valid_until=d["valid_until"],
                tax_year=d["tax_year"], income_year=d["income_year"], signed=d["signed"],
                received_at=d["received_at"], rejection_reason=d["rejection_reason"],
            )
            for d in (row._mapping for row in documents)
        ),
        answers=snap.Answers(
            intent=r["a_intent"],
            remarks=r["a_remarks"] or "",
            preferences=tuple(r["a_preferences"] or ()),
            support_requested=bool(r["a_support_requested"]),
        ),
        house_rules_version=r["d_house_rules_version"],
        deadline=r["d_deadline"],
    )  # fmt: skip


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
