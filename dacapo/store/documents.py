"""Adding evidence (« pièces justificatives ») to a family or a pupil.

``add_document`` checks everything it can first (the target, the kind against
the campaign's ``document_kinds``, who acts), then has ``store.files.intake``
check the file's name and content and store it by hash — a refused file
(``CON.pdf``, a name with U+202E, an executable named ``.pdf``...) leaves the
database and the store folder untouched — and only then writes, in the
caller's transaction, the ``Document`` row (pending) and one ``document_added``
audit row on each dossier it concerns (``site_campaigns.concerned_dossiers``,
plus the dossier named, if any): a family-level document shows in the trail of
every sibling's current dossier. Identical files are stored once on disk, but
each call adds its own row.

A kind is *student-level* when a student-level requirement accepts it (the
photo, the dance certificate): it needs a dossier to name the pupil. Any other
kind belongs to the family.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlmodel import Session, select

from dacapo.campaigns.schema import Campaign, Level, Role
from dacapo.engine.errors import BadInput, GuardFailed, NotFound
from dacapo.engine.texts import reason_text
from dacapo.rules.documents import kind_label
from dacapo.rules.fields import adult_on
from dacapo.rules.french import day, quoted
from dacapo.rules.snapshot import Actor
from dacapo.store.audit import add_audit_row
from dacapo.store.dossiers import get_dossier
from dacapo.store.files import StoredFile, intake
from dacapo.store.site_campaigns import concerned_dossiers, latest_campaign, latest_site_campaign
from dacapo.store.tables import Document, Dossier, Family, Guardian, Student

HASH_SHOWN = 12  # hex digits of the sha256 quoted in audit reasons
_MINOR = "actor.student_minor"  # the code `fire` refuses a minor pupil with


@dataclass(frozen=True)
class DocumentFacts:
    """What the desk read on the document."""

    issued: dt.date | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    tax_year: int | None = None
    income_year: int | None = None
    signed: bool = False


@dataclass(frozen=True)
class Owner:
    """Where a document goes: ``--family REF --site SITE``, or ``--dossier REF``."""

    family_ref: str | None = None
    site: str | None = None
    dossier_ref: str | None = None


@dataclass(frozen=True)
class AddedDocument:
    id: int
    kind: str
    label: str
    level: Level
    family_ref: str
    student_ref: str | None
    file: StoredFile
    audited: tuple[str, ...]  # refs of the dossiers whose trail records it


@dataclass(frozen=True)
class _Target:
    family: Family
    student: Student | None
    dossier: Dossier | None
    campaign: Campaign


def kind_level(campaign: Campaign, kind: str) -> Level:
    """Student-level when a student-level requirement accepts ``kind``; else family-level."""
    for requirement in campaign.requirements.documents.values():
        if requirement.level is Level.STUDENT and any(a.kind == kind for a in requirement.accepts):
            return Level.STUDENT
    return Level.FAMILY


def check_kind(campaign: Campaign, kind: str) -> None:
    """BadInput naming the campaign's kinds (and the closest one) unless ``kind`` is one."""
    kinds = list(campaign.document_kinds)
    if kind in kinds:
        return
    message = f"unknown document kind {kind!r}"
    close = difflib.get_close_matches(kind, kinds, n=1, cutoff=0.5)
    if close:
        message += f"; did you mean {close[0]!r}?"
    raise BadInput(f"{message} (kinds of campaign {campaign.id}: {', '.join(kinds)})")


def add_document(
    session: Session,
    kind: str,
    source: Path | bytes,
    owner: Owner,
    facts: DocumentFacts,
    *,
    original_name: str,
    store_dir: Path,
    max_bytes: int,
    actor: Actor,
    now: dt.datetime,
    reason: str | None = None,
) -> AddedDocument:
    """Check, store and record one document; see the module docstring."""
    reason = reason_text(reason)
    target = _target(session, owner)
    check_kind(target.campaign, kind)
    level = kind_level(target.campaign, kind)
    label = kind_label(target.campaign, kind)
    student = target.student if level is Level.STUDENT else None
    if level is Level.STUDENT and student is None:
        raise BadInput(
            f"{kind!r} ({label}) is a pupil's document: name the pupil's dossier with --dossier REF"
        )
    _check_actor(session, actor, target, level)
    stored = intake(source, original_name=original_name, store_dir=store_dir, max_bytes=max_bytes)
    assert target.family.id is not None
    document = Document(
        family_id=target.family.id,
        student_id=None if student is None else student.id,
        kind=kind,
        status="pending",
        sha256=stored.sha256,
        size=stored.size,
        media_type=stored.media_type,
        original_name=stored.original_name,
        received_at=now,
        **asdict(facts),
    )
    session.add(document)
    session.flush()
    assert document.id is not None
    dossiers = concerned_dossiers(
        session, target.family.site_code, target.family.id, document.student_id
    )
    if target.dossier is not None and target.dossier not in dossiers:
        dossiers.insert(0, target.dossier)
    summary = f"{kind}: {stored.original_name} (sha256 {stored.sha256[:HASH_SHOWN]}…)"
    if reason:
        summary += f" — {reason}"
    for dossier in dossiers:
        add_audit_row(
            session,
            dossier,
            event="document_added",
            from_state=dossier.state,
            to_state=dossier.state,
            actor=actor.id,
            role=actor.role.value,
            reason=summary,
            effective_at=now,
        )
    return AddedDocument(
        id=document.id,
        kind=kind,
        label=label,
        level=level,
        family_ref=target.family.ref,
        student_ref=None if student is None else student.ref,
        file=stored,
        audited=tuple(d.ref for d in dossiers),
    )


def _target(session: Session, owner: Owner) -> _Target:
    if owner.dossier_ref is not None:
        if owner.family_ref is not None or owner.site is not None:
            raise BadInput("give either --dossier, or --family with --site, not both")
        dossier = get_dossier(session, owner.dossier_ref)
        student = session.get_one(Student, dossier.student_id)
        family = session.get_one(Family, student.family_id)
        _, campaign = latest_campaign(session, dossier.campaign_id)
        return _Target(family, student, dossier, campaign)
    if owner.family_ref is None or owner.site is None:
        raise BadInput("name the owner: --family REF --site SITE, or --dossier REF")
    found = session.exec(
        select(Family).where(Family.site_code == owner.site).where(Family.ref == owner.family_ref)
    ).one_or_none()
    if found is None:
        raise NotFound(f"No family {owner.family_ref!r} at site {owner.site!r}")
    _, campaign = latest_site_campaign(session, owner.site)
    return _Target(found, None, None, campaign)


def _check_actor(session: Session, actor: Actor, target: _Target, level: Level) -> None:
    """Staff; a guardian of this family; or an adult pupil of this family (18 on the
    first day of the school year, as ``fire`` requires), for the family's documents or
    their own."""
    family, student = target.family, target.student
    code = "actor.not_allowed"
    if actor.role is Role.STAFF:
        return
    if actor.role is Role.GUARDIAN:
        emails = session.exec(select(Guardian.email).where(Guardian.family_id == family.id)).all()
        if actor.id.strip().casefold() in {(e or "").strip().casefold() for e in emails} - {""}:
            return
        problem = f"{quoted(actor.id)} n'est pas responsable de la famille {family.ref}"
    elif actor.role is Role.ADULT_STUDENT:
        pupil = session.exec(
            select(Student).where(Student.family_id == family.id).where(Student.ref == actor.id)
        ).one_or_none()
        own = student is None or level is Level.FAMILY or student.ref == actor.id
        starts = target.campaign.school_year_starts
        if pupil is None or not own:
            problem = f"{quoted(actor.id)} n'est pas l'élève concerné par ce document"
        elif pupil.birth_date is None:
            problem, code = "Date de naissance inconnue : majorité non vérifiable", _MINOR
        elif not adult_on(pupil.birth_date, starts):
            name = " ".join(p for p in (pupil.first_name, pupil.last_name) if p) or pupil.ref
            problem = f"{name} n'a pas 18 ans au {day(starts)} : un responsable doit agir"
            code = _MINOR
        else:
            return
    else:
        problem = f"{actor} ne peut pas déposer de document"
    raise GuardFailed("add the document", [problem], [code])
