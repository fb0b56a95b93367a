"""Writing corrections: details, answers and a per-dossier deadline, each audited.

Every function works inside the caller's unit of work and does not commit. It
checks who may act and when (``engine.access``), writes the rows, appends one
audit row to the named dossier (``from_state`` = ``to_state`` = its state; the
reason lists every change, then the reason given) and bumps the dossier's
version, so a ``fire`` that read the dossier before conflicts
(``ConcurrentUpdate``). Nothing changed: no audit row, no version bump.

Family and guardian fields are shared by siblings; the audit row goes to the
dossier named on the command line only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from dacapo.campaigns.schema import Campaign
from dacapo.engine.access import STAFF_ONLY, check_correction
from dacapo.engine.answers import answer_input
from dacapo.engine.corrections import FieldChange, Target, audit_reason, parse_assignments
from dacapo.engine.errors import BadInput, DacapoError
from dacapo.engine.model import DossierRecord
from dacapo.engine.texts import reason_text
from dacapo.rules.french import day
from dacapo.rules.snapshot import Actor
from dacapo.store.audit import add_audit_row
from dacapo.store.dossiers import get_dossier
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.tables import Answer, Dossier, Family, Guardian, Student
from dacapo.store.types import utcnow


@dataclass(frozen=True)
class Correction:
    """What a correction did: the changes, the audit row's seq (None: nothing changed)."""

    ref: str
    state: str
    changes: tuple[FieldChange, ...]
    audit_seq: int | None
    version: int


def _load(
    session: Session, ref: str, expected_version: int | None
) -> tuple[Dossier, DossierRecord, Campaign]:
    dossier = get_dossier(session, ref, expected_version=expected_version)
    store = SqlDossierStore(session)
    record = store.dossier(ref)
    return dossier, record, store.campaign(record.campaign_id, record.campaign_version)


def _record(
    session: Session,
    dossier: Dossier,
    event: str,
    changes: list[FieldChange],
    *,
    actor: Actor,
    now: dt.datetime,
    reason: str | None,
) -> Correction:
    """The audit row and the version bump, or nothing when nothing changed."""
    if not changes:
        return Correction(dossier.ref, dossier.state, (), None, dossier.version)
    dossier.updated_at = utcnow()  # an UPDATE of the row: SQLAlchemy checks and bumps version
    session.add(dossier)
    row = add_audit_row(
        session,
        dossier,
        event=event,
        from_state=dossier.state,
        to_state=dossier.state,
        actor=actor.id,
        role=actor.role.value,
        reason=audit_reason(changes, reason),
        effective_at=now,
    )
    session.flush()  # the optimistic version check happens here
    return Correction(dossier.ref, dossier.state, tuple(changes), row.seq, dossier.version)


def update_fields(
    session: Session,
    ref: str,
    assignments: list[str],
    *,
    actor: Actor,
    now: dt.datetime,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Correction:
    """Apply ``FIELD=VALUE`` corrections to the family, its guardians or the pupil."""
    reason = reason_text(reason)
    dossier, record, campaign = _load(session, ref, expected_version)
    parsed = parse_assignments(campaign, assignments, now)
    check_correction(campaign, record.snapshot, "update", actor, now=now, reason=reason)
    # Siblings share the family and guardian rows, and each checks only its own dossier's
    # version: lock the family row first (PostgreSQL; SQLite's write lock is held already),
    # so that a concurrent correction through a sibling waits, then reads what it wrote.
    # FOR NO KEY UPDATE, not FOR UPDATE: rows referring to the family (a closing's lapse
    # notices, holding their dossiers' locks) take FOR KEY SHARE on it, which FOR UPDATE
    # would block while this waits for one of those dossiers: a deadlock.
    family = session.exec(
        select(Family)
        .join(Student, col(Student.family_id) == Family.id)
        .where(Student.id == dossier.student_id)
        .with_for_update(of=Family, key_share=True)  # FOR NO KEY UPDATE
    ).one()
    student = session.get_one(Student, dossier.student_id)
    guardians = {
        g.position: g for g in session.exec(select(Guardian).where(Guardian.family_id == family.id))
    }
    changes: list[FieldChange] = []
    for target, value in parsed:
        row = _row_for(target, family, student, guardians)
        before = getattr(row, target.name)
        if before != value:
            setattr(row, target.name, value)
            session.add(row)
            changes.append(FieldChange(str(target), before, value))
    return _record(session, dossier, "update", changes, actor=actor, now=now, reason=reason)


def _row_for(
    target: Target, family: Family, student: Student, guardians: dict[int, Guardian]
) -> Family | Student | Guardian:
    """The row holding ``target``; naming the next guardian position adds that guardian."""
    if target.scope == "family":
        return family
    if target.scope == "student":
        return student
    assert target.position is not None
    assert family.id is not None
    if target.position not in guardians:
        if target.position != len(guardians) + 1:
            count = len(guardians)
            raise BadInput(
                f"{target}: the family has {count} guardian(s); "
                f"add guardian{count + 1} before guardian{target.position}"
            )
        guardians[target.position] = Guardian(family_id=family.id, position=target.position)
    return guardians[target.position]


def record_answers(
    session: Session,
    ref: str,
    *,
    intent: str | None = None,
    remarks: str | None = None,
    preferences: str | None = None,
    support: str | None = None,
    actor: Actor,
    now: dt.datetime,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Correction:
    """Store the pupil's answers, given as typed (``engine.answers.answer_input`` reads
    them against the campaign); the row is created on first answer."""
    reason = reason_text(reason)
    dossier, record, campaign = _load(session, ref, expected_version)
    given = answer_input(
        campaign,
        intent=intent,
        remarks_text=remarks,
        preferences_text=preferences,
        support=support,
    )
    check_correction(campaign, record.snapshot, "answer", actor, now=now, reason=reason)
    assert dossier.id is not None
    answer = session.get(Answer, dossier.id) or Answer(dossier_id=dossier.id)
    wanted: dict[str, object] = {
        "intent": given.intent,
        "remarks": given.remarks,
        "support_requested": given.support_requested,
    }
    changes: list[FieldChange] = []
    for name, value in wanted.items():
        if value is not None and getattr(answer, name) != value:
            changes.append(FieldChange(f"answers.{name}", getattr(answer, name), value))
            setattr(answer, name, value)
    if given.preferences is not None and tuple(answer.preferences) != given.preferences:
        before = tuple(answer.preferences)
        answer.preferences = list(given.preferences)  # a new list: JSON is not mutable-tracked
        changes.append(FieldChange("answers.preferences", before, given.preferences))
    if changes:
        session.add(answer)
    return _record(session, dossier, "answer", changes, actor=actor, now=now, reason=reason)


def extend_deadline(
    session: Session,
    ref: str,
    until: dt.date,
    *,
    actor: Actor,
    now: dt.datetime,
    reason: str,
) -> Correction:
    """Give this dossier until ``until`` (inclusive, local date): staff only, open dossiers."""
    checked = reason_text(reason)
    if checked is None:
        raise BadInput("A deadline extension needs a reason (--reason)")
    reason = checked
    dossier, record, campaign = _load(session, ref, None)
    window = campaign.windows.get(dossier.window)
    if window is None:
        raise DacapoError(f"Dossier {ref} names an unknown window {dossier.window!r}")
    if until < window.closes:
        raise BadInput(
            f"--until {until.isoformat()}: before the window's close ({day(window.closes)}); "
            "an extension can only push the deadline later"
        )
    check_correction(
        campaign,
        record.snapshot,
        "extend",
        actor,
        now=now,
        reason=reason,
        by=STAFF_ONLY,
        open_states_only=True,
    )
    changes = (
        [] if dossier.deadline == until else [FieldChange("deadline", dossier.deadline, until)]
    )
    dossier.deadline = until
    return _record(session, dossier, "extend", changes, actor=actor, now=now, reason=reason)
