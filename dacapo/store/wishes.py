"""Registering a new pupil's wishes at the desk, in the caller's transaction.

``register_wish`` checks first (the site's latest campaign, a new-pupil
window, the input against the campaign, the window open at ``now`` — staff
may act outside it with a reason — who acts, a pupil reference not yet
used), then writes: the family if new (matched by its reference at the
site, its address updated with what is given), its guardians (matched by
email, case-insensitively; others added at the next position), the pupil
(status ``new``), a dossier in the window's workflow at its initial state,
the ranked wishes in its ``Answer`` row and its first audit row (``open``,
from and to the initial state). The unique (campaign, student, workflow)
constraint keeps a pupil from having two such dossiers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from dacapo.campaigns.schema import Campaign, Role
from dacapo.engine.errors import BadInput, GuardFailed
from dacapo.engine.texts import reason_text
from dacapo.engine.wishes import Wish, fit_campaign, window_refusal
from dacapo.rules.fields import age_on
from dacapo.rules.french import quoted
from dacapo.rules.snapshot import Actor
from dacapo.store.audit import add_audit_row
from dacapo.store.dossiers import dossier_ref
from dacapo.store.site_campaigns import latest_site_campaign
from dacapo.store.tables import Answer, Dossier, Family, Guardian, Student

OPEN_EVENT = "open"
ADULT_AGE = 18


@dataclass(frozen=True)
class Registered:
    dossier_ref: str
    workflow: str
    state: str
    family_ref: str
    family_created: bool
    family_updated: tuple[str, ...]
    guardians_added: tuple[str, ...]
    guardians_matched: tuple[str, ...]
    student_ref: str
    student_name: str
    preferences: tuple[str, ...]


def register_wish(
    session: Session, wish: Wish, *, actor: Actor, now: dt.datetime, reason: str | None = None
) -> Registered:
    """Open a new pupil's dossier with their wishes; see the module docstring."""
    reason = reason_text(reason)
    version, campaign = latest_site_campaign(session, wish.site)
    wish = fit_campaign(wish, campaign, now)
    refusal = window_refusal(
        campaign, wish.window, now, staff=actor.role is Role.STAFF, reason=reason
    )
    if refusal is not None:
        raise GuardFailed("register the wishes", [refusal], ["window.closed"])
    family = session.exec(
        select(Family).where(Family.site_code == wish.site).where(Family.ref == wish.family_ref)
    ).one_or_none()
    guardians = [] if family is None else _guardians(session, family)
    if family is None and not wish.guardians:
        raise BadInput(f"--guardian: family {wish.family_ref!r} is new: give its guardians")
    _check_actor(actor, wish, guardians, campaign)
    taken = session.exec(
        select(Student).where(Student.site_code == wish.site).where(Student.ref == wish.student_ref)
    ).one_or_none()
    if taken is not None:
        who = " ".join(p for p in (taken.first_name, taken.last_name) if p) or "a pupil"
        raise BadInput(
            f"--student-ref: {wish.student_ref!r} is already used at {wish.site} ({who}): "
            "a known pupil re-enrols in the re-enrolment window; give a new reference"
        )

    created = family is None
    if family is None:
        family = Family(site_code=wish.site, ref=wish.family_ref, created_at=now, updated_at=now)
    updated = tuple(
        field
        for field in ("address", "postcode", "city")
        if getattr(wish, field) is not None and getattr(family, field) != getattr(wish, field)
    )
    for field in updated:
        setattr(family, field, getattr(wish, field))
    session.add(family)
    session.flush()
    assert family.id is not None
    added, matched = _merge_guardians(session, family.id, guardians, wish)
    student = Student(
        family_id=family.id,
        site_code=wish.site,
        ref=wish.student_ref,
        last_name=wish.last_name,
        first_name=wish.first_name,
        birth_date=wish.birth_date,
        discipline=wish.discipline,
        cycle=wish.cycle,
        status="new",
    )
    session.add(student)
    session.flush()
    assert student.id is not None
    window = campaign.windows[wish.window]
    initial = campaign.workflows[window.workflow].initial
    dossier = Dossier(
        ref=dossier_ref(wish.site, campaign.school_year, wish.student_ref),
        campaign_id=version.campaign_id,
        campaign_version=version.version,
        workflow=window.workflow,
        window=wish.window,
        student_id=student.id,
        state=initial,
        created_at=now,
        updated_at=now,
    )
    session.add(dossier)
    session.flush()
    assert dossier.id is not None
    session.add(Answer(dossier_id=dossier.id, preferences=list(wish.preferences)))
    ranked = ", ".join(f"{rank}. {p}" for rank, p in enumerate(wish.preferences, start=1))
    summary = f"vœux : {ranked}" + (f" — motif : {reason}" if reason else "")
    add_audit_row(
        session,
        dossier,
        event=OPEN_EVENT,
        from_state=initial,
        to_state=initial,
        actor=actor.id,
        role=actor.role.value,
        reason=summary,
        effective_at=now,
    )
    session.flush()
    return Registered(
        dossier_ref=dossier.ref,
        workflow=window.workflow,
        state=initial,
        family_ref=family.ref,
        family_created=created,
        family_updated=() if created else updated,
        guardians_added=added,
        guardians_matched=matched,
        student_ref=student.ref,
        student_name=f"{wish.first_name} {wish.last_name}",
        preferences=tuple(wish.preferences),
    )


def _guardians(session: Session, family: Family) -> list[Guardian]:
    return list(
        session.exec(
            select(Guardian).where(Guardian.family_id == family.id).order_by(col(Guardian.position))
        ).all()
    )


def _merge_guardians(
    session: Session, family_id: int, known: list[Guardian], wish: Wish
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Match the given guardians by email (filling what the row lacks) or add them."""
    by_email = {(g.email or "").casefold(): g for g in known if g.email}
    position = max((g.position for g in known), default=0)
    added: list[str] = []
    matched: list[str] = []
    for given in wish.guardians:
        row = by_email.get(given.email.casefold())
        if row is None:
            position += 1
            row = Guardian(family_id=family_id, position=position, email=given.email)
            added.append(given.email)
        else:
            matched.append(given.email)
        row.last_name = row.last_name or given.last_name
        row.first_name = row.first_name or given.first_name
        row.mobile = row.mobile or given.mobile
        session.add(row)
    return tuple(added), tuple(matched)


def _check_actor(actor: Actor, wish: Wish, known: list[Guardian], campaign: Campaign) -> None:
    """Staff; a guardian of the family (known or given); the adult pupil themself."""
    if actor.role is Role.STAFF:
        return
    if actor.role is Role.GUARDIAN:
        emails = {(g.email or "").casefold() for g in known} | {
            g.email.casefold() for g in wish.guardians
        }
        if actor.id.strip().casefold() in emails - {""}:
            return
        problem = f"{quoted(actor.id)} n'est pas responsable de la famille {wish.family_ref}"
    elif actor.role is Role.ADULT_STUDENT and actor.id == wish.student_ref:
        if age_on(wish.birth_date, campaign.school_year_starts) >= ADULT_AGE:
            return
        problem = f"{wish.first_name} {wish.last_name} est mineur : un responsable doit agir"
    else:
        problem = f"{actor} ne peut pas enregistrer les vœux de {wish.student_ref}"
    raise GuardFailed("register the wishes", [problem], ["actor.not_allowed"])
