"""The scheduler's message sweeps: reminders, invitations, the chase of deferred documents.

Each sweep queues ONE message per family, channel and address, about every
pupil of the family it concerns (an outbox row with ``family_id`` set and
``dossier_id`` NULL; its context names the dossiers, which the dispatcher
renders with each pupil's checklist: see ``store.outbox_context``):

- ``send_reminder``: a campaign ``reminders:`` entry. Its audience is the
  window's open dossiers whose own deadline is not extended past the window's
  close; with ``missing:``, only those still lacking one of the items listed
  (unmet or deferred, as ``dossier list --missing`` reads it): document items
  through ``outstanding``, any other item (fields, intent...) through the
  full checklist.
- ``send_invitations``: at a window's opening, the ``invitation`` message to
  families with dossiers in the workflow's initial state; for a window of new
  pupils, the ``new_pupil_window`` message to families with open dossiers there.
- ``chase_deferred``: the ``deferred_documents`` message to families whose
  pupils (open or confirmed) still owe a deferred requirement.

Set-based: the families concerned are listed once, then handled by chunks of
``CHUNK`` families, each in its own short unit of work (a few Core queries,
one ``add_outbox_rows``). Idempotent: every row has a key naming the sweep,
the family, the channel and the address — a second run, or a run after a
reload that moved the date, queues nothing new and counts those rows as
``skipped``. Addresses follow ``engine.recipients.addresses``: every
guardian's email, and an adult pupil's own; SMS to valid mobiles only (E.164).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, false, or_, select
from sqlmodel import Session

from dacapo.campaigns.schema import Campaign, Channel, MessageEvent, Reminder, Workflow
from dacapo.campaigns.windows import require_aware
from dacapo.engine.closing import window_named
from dacapo.engine.errors import BadInput, NotFound
from dacapo.engine.recipients import Contacts, addresses
from dacapo.rules import checklist
from dacapo.rules.fields import adult_on
from dacapo.store.bulk import chunks, select_in
from dacapo.store.database import Database
from dacapo.store.dossier_search import MISSING, load_snapshots, matches
from dacapo.store.engine_port import D, G, S
from dacapo.store.outbox import add_outbox_rows
from dacapo.store.outstanding import owing
from dacapo.store.site_campaigns import latest_campaign
from dacapo.store.tables import CampaignVersion, Dossier, Student
from dacapo.store.types import utcnow

__all__ = ["SweepOutcome", "chase_deferred", "send_invitations", "send_reminder"]

CHUNK = 1000  # families per unit of work
DOSSIER: Table = Dossier.__table__  # type: ignore[attr-defined]
STUDENT: Table = Student.__table__  # type: ignore[attr-defined]
C = CampaignVersion.__table__.c  # type: ignore[attr-defined]
Keep = Callable[[Session, Campaign, Sequence[int]], set[int]]


@dataclass(frozen=True)
class SweepOutcome:
    """What a sweep did. ``skipped``: messages an earlier run had queued already."""

    campaign_id: str
    message: str  # the outbox ``event``: reminder, invitation, new_pupil_window, deferred_documents
    subject: str  # the reminder id, the window or the requirement
    families: int = 0  # families concerned
    pupils: int = 0  # dossiers listed in their messages
    queued: int = 0
    skipped: int = 0
    unreachable: int = 0  # families concerned without any address on the channels used
    chunks: int = 0
    note: str = ""  # why nothing was queued, when there is a reason to give

    def summary(self) -> str:
        """``reminder one_week_left: 812 messages queued for 640 families (3 already queued)``."""
        head = f"{self.message} {self.subject}"
        if self.note:
            return f"{head}: {self.note}"
        text = f"{head}: {self.queued:,} messages queued for {self.families:,} families"
        extra = [f"{self.skipped:,} already queued"] if self.skipped else []
        if self.unreachable:
            extra.append(f"{self.unreachable:,} families without an address")
        return text + (f" ({', '.join(extra)})" if extra else "")


@dataclass(frozen=True)
class _Job:
    """One sweep: whom (``audience`` and ``keep``), what, and the idempotency key's stem."""

    campaign: Campaign
    message: str
    subject: str
    template: str
    channels: Sequence[Channel]
    key: str  # ``reminder:CAMPAIGN:ID``: the key is ``{key}:family:{id}:{channel}:{address}``
    audience: ColumnElement[bool]  # which of the campaign's dossiers (no campaign condition)
    context: dict[str, Any] = field(default_factory=dict)
    keep: Keep | None = None  # narrows the audience's dossiers of a chunk


def send_reminder(
    database: Database, campaign_id: str, reminder_id: str, *, now: dt.datetime
) -> SweepOutcome:
    """Queue the campaign's reminder ``reminder_id`` (see the module)."""
    require_aware(now)
    campaign = _campaign(database, campaign_id)
    reminder = next((r for r in campaign.reminders if r.id == reminder_id), None)
    if reminder is None:
        known = ", ".join(r.id for r in campaign.reminders) or "none"
        raise NotFound(f"No reminder {reminder_id!r} in campaign {campaign_id}; reminders: {known}")
    window = window_named(campaign, reminder.window)
    extended = or_(D.deadline.is_(None), D.deadline <= window.closes)
    job = _Job(
        campaign=campaign,
        message="reminder",
        subject=reminder_id,
        template=reminder.template,
        channels=reminder.channels,
        key=f"reminder:{campaign_id}:{reminder_id}",
        audience=and_(_open(campaign), D.window == reminder.window, extended),
        context={"reminder": reminder_id},
        keep=_lacking(reminder, now) if reminder.missing else None,
    )
    return _run(database, job, now)


def send_invitations(
    database: Database, campaign_id: str, window: str, *, now: dt.datetime
) -> SweepOutcome:
    """Queue the invitations of ``window``'s families (see the module)."""
    require_aware(now)
    campaign = _campaign(database, campaign_id)
    spec = window_named(campaign, window)
    message: MessageEvent = "new_pupil_window" if spec.pupils == "new" else "invitation"
    declared = campaign.notifications.messages.get(message)
    if declared is None:
        note = f"the campaign declares no {message!r} message: nothing queued"
        return SweepOutcome(campaign_id, message, window, note=note)
    workflow = campaign.workflows[spec.workflow]
    if spec.pupils == "new":
        audience = and_(_open(campaign), D.window == window)
    else:
        audience = and_(D.window == window, D.workflow == spec.workflow)
        audience = and_(audience, D.state == workflow.initial)
    job = _Job(
        campaign=campaign,
        message=message,
        subject=window,
        template=declared.template,
        channels=declared.channels,
        key=f"invitation:{campaign_id}:{window}",
        audience=audience,
        context={"window": window},
    )
    outcome = _run(database, job, now)
    if outcome.families == 0:
        note = f"no family has a dossier to invite in window {window!r} yet: nothing queued"
        return SweepOutcome(campaign_id, message, window, chunks=outcome.chunks, note=note)
    return outcome


def chase_deferred(
    database: Database, campaign_id: str, requirement: str, *, now: dt.datetime
) -> SweepOutcome:
    """Remind the families whose pupils still owe the deferred ``requirement``."""
    require_aware(now)
    campaign = _campaign(database, campaign_id)
    spec = campaign.requirements.documents.get(requirement)
    if spec is None:
        known = ", ".join(campaign.requirements.documents) or "none"
        raise NotFound(f"No document requirement {requirement!r} in campaign {campaign_id}; "
                       f"its requirements: {known}")  # fmt: skip
    if spec.deferred is None:
        raise BadInput(f"{requirement!r} is not a deferred requirement: nothing to chase later")
    declared = campaign.notifications.messages.get("deferred_documents")
    if declared is None:
        note = "the campaign declares no 'deferred_documents' message: nothing queued"
        return SweepOutcome(campaign_id, "deferred_documents", requirement, note=note)
    still = [  # open, or confirmed: a deferred document is still owed after confirmation
        and_(D.workflow == name, D.state.in_([*_open_states(w), w.success]))
        for name, w in campaign.workflows.items()
    ]

    def owes(session: Session, campaign: Campaign, ids: Sequence[int]) -> set[int]:
        found = owing(
            session, campaign, now=now, dossier_ids=ids, confirmed=True, only=[requirement]
        )
        return {lacking.dossier_id for lacking in found if requirement in lacking.deferred}

    job = _Job(
        campaign=campaign,
        message="deferred_documents",
        subject=requirement,
        template=declared.template,
        channels=declared.channels,
        key=f"deferred:{campaign_id}:{requirement}",
        audience=or_(*still),
        context={"deferred": requirement, "document": spec.label},
        keep=owes,
    )
    return _run(database, job, now)


def _campaign(database: Database, campaign_id: str) -> Campaign:
    """The latest loaded version of ``campaign_id``, or NotFound naming those loaded."""
    with database.unit_of_work(read_only=True) as uow:
        return latest_campaign(uow.session, campaign_id)[1]


def _open_states(workflow: Workflow) -> list[str]:
    return [s for s in workflow.states if s not in workflow.final]


def _open(campaign: Campaign) -> ColumnElement[bool]:
    """Dossiers in a non-final state of their workflow."""
    groups = [
        and_(D.workflow == name, D.state.in_(_open_states(w)))
        for name, w in campaign.workflows.items()
    ]
    return or_(*groups) if groups else false()


def _lacking(reminder: Reminder, now: dt.datetime) -> Keep:
    """The dossiers still lacking (unmet or deferred) an item of ``reminder.missing``."""

    def keep(session: Session, campaign: Campaign, ids: Sequence[int]) -> set[int]:
        documents = [m for m in reminder.missing if m in campaign.requirements.documents]
        others = [m for m in reminder.missing if m not in campaign.requirements.documents]
        kept: set[int] = set()
        if documents:
            found = owing(session, campaign, now=now, dossier_ids=ids, only=documents)
            kept = {f.dossier_id for f in found}
        rest = [i for i in ids if i not in kept]
        if others and rest:  # fields, formats, intent...: only the whole checklist knows
            for dossier_id, snapshot in load_snapshots(session, rest).items():
                findings = checklist(campaign, snapshot, now).whole
                if any(f.status in MISSING and matches(f, m) for f in findings for m in others):
                    kept.add(dossier_id)
        return kept

    return keep


def _families(database: Database, job: _Job) -> list[tuple[int, list[int]]]:
    """Each family concerned, with its dossiers in the audience, by family id."""
    query = (
        select(S.family_id, D.id)
        .select_from(DOSSIER.join(STUDENT, S.id == D.student_id))
        .where(D.campaign_id == job.campaign.id, job.audience)
        .order_by(S.family_id, D.id)
    )
    found: dict[int, list[int]] = defaultdict(list)
    with database.unit_of_work(read_only=True) as uow:
        for family_id, dossier_id in uow.session.execute(query):
            found[family_id].append(dossier_id)
    return list(found.items())


def _run(database: Database, job: _Job, now: dt.datetime) -> SweepOutcome:
    tally = _Tally()
    for part in chunks(_families(database, job), CHUNK):
        with database.unit_of_work() as uow:
            rows = _chunk(uow.session, job, [i for _, ids in part for i in ids], now, tally)
            inserted = len(add_outbox_rows(uow.session, rows))
            uow.commit()
        tally.queued += inserted
        tally.skipped += len(rows) - inserted
        tally.chunks += 1
    return SweepOutcome(job.campaign.id, job.message, job.subject, **vars(tally))


@dataclass
class _Tally:
    families: int = 0
    pupils: int = 0
    queued: int = 0
    skipped: int = 0
    unreachable: int = 0
    chunks: int = 0


_PUPILS = (
    select(D.id, D.ref, S.family_id, S.birth_date, S.email, S.mobile)
    .select_from(DOSSIER.join(STUDENT, S.id == D.student_id))
)  # fmt: skip
_GUARDIANS = select(G.family_id, G.email, G.mobile).order_by(G.family_id, G.position)
# The other columns of a new outbox row, given so that no model default is looked up per row.
_UNSENT: dict[str, Any] = {
    "dossier_id": None,
    "status": "pending",
    "attempts": 0,
    "claimed_at": None,
    "claimed_by": None,
    "sent_at": None,
    "last_error": None,
}


def _chunk(
    session: Session, job: _Job, dossier_ids: Sequence[int], now: dt.datetime, tally: _Tally
) -> list[dict[str, Any]]:
    """The outbox rows of one chunk of families (as column values), read again in this
    transaction: a dossier that left the audience since the families were listed is left out.

    By primary key, without a condition on the campaign (the ids are the campaign's):
    given ``campaign_id = ?``, SQLite would walk the campaign's index for every chunk.
    """
    pupils = list(select_in(session, _PUPILS.where(job.audience), D.id, dossier_ids))
    if job.keep is not None:
        kept = job.keep(session, job.campaign, [p.id for p in pupils])
        pupils = [p for p in pupils if p.id in kept]
    guardians: dict[int, list[tuple[str | None, str | None]]] = defaultdict(list)
    families = sorted({p.family_id for p in pupils})
    for family_id, email, mobile in select_in(session, _GUARDIANS, G.family_id, families):
        guardians[family_id].append((email, mobile))
    by_family: dict[int, list[Any]] = defaultdict(list)
    for pupil in sorted(pupils, key=lambda p: p.ref):
        by_family[pupil.family_id].append(pupil)
    starts = job.campaign.school_year_starts
    created_at = utcnow()
    rows: list[dict[str, Any]] = []
    for family_id, listed in by_family.items():
        known = tuple(guardians.get(family_id, ()))
        # The guardians, and each adult pupil with them: a minor's own address never counts.
        adults = [p for p in listed if adult_on(p.birth_date, starts)]
        contacts = [Contacts(known), *(Contacts(known, True, p.email, p.mobile) for p in adults)]
        context = {**job.context, "dossiers": [p.ref for p in listed]}
        before = len(rows)
        for channel in job.channels:
            for address in _merged(contacts, channel):
                key = f"{job.key}:family:{family_id}:{channel.value}:{address}"
                rows.append(
                    {
                        **_UNSENT,
                        "idempotency_key": key,
                        "family_id": family_id,
                        "event": job.message,
                        "channel": channel.value,
                        "recipient": address,
                        "template": job.template,
                        "context": context,
                        "next_attempt_at": now,
                        "created_at": created_at,
                    }
                )
        tally.families += 1
        tally.pupils += len(listed)
        tally.unreachable += len(rows) == before
    return rows


def _merged(contacts: Sequence[Contacts], channel: Channel) -> list[str]:
    """Every pupil's addresses (``recipients.addresses``), each once (emails in any case)."""
    found: dict[str, str] = {}
    for pupil in contacts:
        for address in addresses(pupil, channel):
            found.setdefault(address.lower(), address)
    return list(found.values())
