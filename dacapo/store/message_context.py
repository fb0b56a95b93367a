"""The render context of a message about dossiers, from what the database holds.

``message_context`` is pure: a campaign, the snapshots of the dossiers the
message is about (one pupil, or every pupil of a family), the recipient and
``now``. Each pupil's ``missing`` and ``deferred`` are the checklist's French
sentences; requirements of the family (its documents, its guardians' fields)
go once into ``family.missing``. The deadline is the earliest window end of
those dossiers, a per-dossier extension included.

``dossier_message`` reads the dossier (and, with ``siblings``, the other open
dossiers of its family in the same campaign) and calls it;
``context_for_dossier`` gives its template variables. The preview command and
the outbox dispatcher share them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from dacapo.campaigns.schema import Campaign, Level
from dacapo.campaigns.windows import window_interval
from dacapo.engine.errors import BadInput
from dacapo.notifications.context import MessageContext, PupilInput, build_message_context
from dacapo.rules import checklist
from dacapo.rules import snapshot as snap
from dacapo.rules.findings import Finding
from dacapo.rules.phones import parse_fr_mobile
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.tables import Dossier, Student


def is_family_level(campaign: Campaign, finding: Finding) -> bool:
    """A family document, or a field of the family or of a guardian."""
    requirement = campaign.requirements.documents.get(finding.item)
    if requirement is not None:
        return requirement.level is Level.FAMILY
    if finding.item in ("fields", "formats"):
        return finding.code.partition(":")[2].startswith(("guardian.", "family."))
    return False


def _mobile(text: str | None) -> str | None:
    try:
        return parse_fr_mobile(text) if text else None
    except ValueError:
        return None


def recipient_guardian(
    snapshots: Sequence[snap.DossierSnapshot], recipient: str | None
) -> snap.Guardian:
    """The guardian (or adult pupil) whose email or mobile is ``recipient``.

    None: the family's first guardian. Emails compare case-insensitively,
    mobiles in their E.164 form. An address of no one is ``BadInput``.
    """
    family = snapshots[0].family
    if recipient is None or not recipient.strip():
        return family.guardians[0] if family.guardians else snap.Guardian(family.ref)
    email = recipient.strip().lower() if "@" in recipient else None
    mobile = None if email else _mobile(recipient)

    def matches(address: str | None, phone: str | None) -> bool:
        if email is not None:
            return address is not None and address.strip().lower() == email
        return mobile is not None and _mobile(phone) == mobile

    for guardian in family.guardians:
        if matches(guardian.email, guardian.mobile):
            return guardian
    for student in (s.student for s in snapshots):  # an adult pupil, addressed directly
        if matches(student.email, student.mobile):
            return snap.Guardian(
                student.ref, student.last_name, student.first_name, student.email, student.mobile
            )
    known = [a for g in family.guardians for a in (g.email, g.mobile) if a]
    listed = ", ".join(known) or "none"
    raise BadInput(f"{recipient!r} is no address of family {family.ref} (its addresses: {listed})")


def message_context(
    campaign: Campaign,
    snapshots: Sequence[snap.DossierSnapshot],
    *,
    now: dt.datetime,
    recipient: str | None = None,
    reason: str | None = None,
    document: str | None = None,
    reminder_id: str | None = None,
) -> MessageContext:
    """The context of one message to ``recipient`` about the pupils of ``snapshots``."""
    if not snapshots:
        raise ValueError("a message is about one dossier at least")
    pupils: list[PupilInput] = []
    family_missing: dict[str, None] = {}
    for snapshot in snapshots:
        findings = checklist(campaign, snapshot, now)
        own_unmet = []
        for finding in findings.unmet:
            if is_family_level(campaign, finding):
                family_missing.setdefault(finding.message)
            else:
                own_unmet.append(finding.message)
        deferred = [f.message for f in findings.deferred]
        pupils.append(
            PupilInput(snapshot.student, own_unmet, deferred, snapshot.state, snapshot.workflow)
        )
    deadline = min(
        window_interval(campaign, campaign.windows[s.window], s.deadline).end for s in snapshots
    )
    return build_message_context(
        campaign,
        guardian=recipient_guardian(snapshots, recipient),
        family=snapshots[0].family,
        pupils=pupils,
        deadline_utc=deadline,
        reason=reason,
        document=document,
        reminder_id=reminder_id,
        family_missing=list(family_missing),
    )


def sibling_refs(session: Session, ref: str, campaign: Campaign) -> list[str]:
    """``ref`` and the family's other dossiers of the campaign still open, by ref."""
    family_id = (
        select(Student.family_id)
        .join(Dossier, col(Dossier.student_id) == col(Student.id))
        .where(Dossier.ref == ref)
        .scalar_subquery()
    )
    rows = session.exec(
        select(Dossier.ref, Dossier.state, Dossier.workflow)
        .join(Student, col(Dossier.student_id) == col(Student.id))
        .where(Student.family_id == family_id, Dossier.campaign_id == campaign.id)
        .order_by(col(Dossier.ref))
    ).all()
    return [
        other
        for other, state, workflow in rows
        if other == ref or state not in campaign.workflows[workflow].final
    ]


@dataclass(frozen=True)
class DossierMessage:
    campaign: Campaign
    context: MessageContext
    refs: list[str]  # the dossiers it is about: ``ref`` first


def dossier_message(
    session: Session,
    ref: str,
    *,
    now: dt.datetime,
    recipient: str | None = None,
    siblings: bool = False,
    reason: str | None = None,
    document: str | None = None,
    reminder_id: str | None = None,
) -> DossierMessage:
    """The campaign of dossier ``ref`` and the context of a message about it.

    ``siblings``: about every open dossier of the family in that campaign too
    (one message per family). ``DossierNotFound`` when ``ref`` does not exist.
    """
    store = SqlDossierStore(session)
    record = store.dossier(ref)
    campaign = store.campaign(record.campaign_id, record.campaign_version)
    refs = [ref]
    if siblings:
        refs += [r for r in sibling_refs(session, ref, campaign) if r != ref]
    snapshots = [record.snapshot] + [store.dossier(other).snapshot for other in refs[1:]]
    context = message_context(
        campaign,
        snapshots,
        now=now,
        recipient=recipient,
        reason=reason,
        document=document,
        reminder_id=reminder_id,
    )
    return DossierMessage(campaign, context, refs)


def context_for_dossier(
    session: Session,
    ref: str,
    *,
    now: dt.datetime,
    recipient: str | None = None,
    siblings: bool = False,
    reason: str | None = None,
    document: str | None = None,
    reminder_id: str | None = None,
) -> dict[str, object]:
    """The template variables of a message about dossier ``ref`` (see ``dossier_message``)."""
    return dossier_message(
        session,
        ref,
        now=now,
        recipient=recipient,
        siblings=siblings,
        reason=reason,
        document=document,
        reminder_id=reminder_id,
    ).context.variables()
