"""What a queued message is rendered with: its context, read from the database.

For a batch of outbox rows, ``render_inputs`` loads in a few queries the
dossiers concerned (``load_snapshots``), their campaigns (parsed once per
process) and each pupil's checklist (once per dossier in the batch), and
returns for every row the campaign and the template variables of
``notifications.context.build_context``:

- the family and its guardians; the guardian is the one the row is addressed
  to (matched by email or mobile), the adult pupil themselves, or a neutral
  « Madame, Monsieur »;
- the pupils: the row's dossier, or for a family row the dossiers named in
  its context (``dossiers``), else every dossier of the family; for each,
  what it still lacks (the checklist's unmet sentences) and what is deferred;
- the deadline: the end of the dossier's window with its own extension;
- ``reason``, ``document`` and ``reminder`` from the row's context.

Rows about the same dossiers with the same ``reason``, ``document`` and
``reminder`` (a confirmation to each guardian, by email and by SMS) share one
context, built once and readdressed to each row's guardian
(``context.with_guardian``); rows to the same guardian share its variables.

A row whose dossier or family is gone gets a problem message instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from sqlmodel import Session, col, select

from dacapo.campaigns.schema import Campaign
from dacapo.campaigns.windows import window_interval
from dacapo.notifications.context import (
    MessageContext,
    PupilInput,
    build_message_context,
    with_guardian,
)
from dacapo.rules import checklist
from dacapo.rules import snapshot as snap
from dacapo.rules.formats import parse_fr_mobile
from dacapo.store.dossier_search import load_snapshots
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.tables import Dossier, Student

NEUTRAL_GREETING = "Madame, Monsieur"


class QueuedRow(Protocol):
    """An outbox row as the loader reads it (``OutboxRow`` or a claimed row)."""

    @property
    def id(self) -> int | None: ...
    @property
    def dossier_id(self) -> int | None: ...
    @property
    def family_id(self) -> int | None: ...
    @property
    def channel(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def context(self) -> dict[str, Any]: ...


@dataclass
class RenderInput:
    """A row's campaign, and its template variables (built on first use, by any thread)."""

    campaign: Campaign
    build: Callable[[], dict[str, object]]

    @cached_property
    def variables(self) -> dict[str, object]:
        return self.build()


@dataclass(frozen=True)
class _DossierFacts:
    snapshot: snap.DossierSnapshot
    campaign: Campaign
    pupil: PupilInput
    deadline: dt.datetime


def render_inputs(
    session: Session, rows: Sequence[QueuedRow], now: dt.datetime
) -> dict[int, RenderInput | str]:
    """For each row id: its campaign and template variables, or why it cannot be rendered."""
    wanted = {row.id or 0: _dossier_ids(session, row) for row in rows}
    all_ids = sorted({i for ids in wanted.values() for i in ids})
    facts = _facts(session, all_ids, now)
    found: dict[int, RenderInput | str] = {}
    shared: dict[tuple[object, ...], _Shared] = {}
    for row in rows:
        ids = [i for i in wanted[row.id or 0] if i in facts]
        if not ids:
            found[row.id or 0] = "no dossier left for this message (deleted?)"
            continue
        texts = tuple(_text(row.context, name) for name in ("reason", "document", "reminder"))
        key = (tuple(ids), *texts)
        if key not in shared:
            shared[key] = _Shared([facts[i] for i in ids], *texts)
        found[row.id or 0] = shared[key].input(row)
    return found


def _dossier_ids(session: Session, row: QueuedRow) -> list[int]:
    if row.dossier_id is not None:
        return [row.dossier_id]
    if row.family_id is None:
        return []
    query = select(Dossier.id).join(Student, col(Student.id) == Dossier.student_id)
    query = query.where(Student.family_id == row.family_id)
    refs = row.context.get("dossiers")
    if isinstance(refs, list) and refs:
        query = query.where(col(Dossier.ref).in_([str(r) for r in refs]))
    return [i for i in session.exec(query.order_by(col(Dossier.ref))).all() if i is not None]


def _facts(session: Session, ids: Sequence[int], now: dt.datetime) -> dict[int, _DossierFacts]:
    if not ids:
        return {}
    store = SqlDossierStore(session)
    heads = session.exec(
        select(Dossier.id, Dossier.campaign_id, Dossier.campaign_version, Dossier.window)
        .where(col(Dossier.id).in_(ids))
    ).all()  # fmt: skip
    snapshots = load_snapshots(session, ids)
    facts: dict[int, _DossierFacts] = {}
    for dossier_id, campaign_id, version, window in heads:
        assert dossier_id is not None
        campaign = store.campaign(campaign_id, version)
        snapshot = snapshots[dossier_id]
        found = checklist(campaign, snapshot, now)
        pupil = PupilInput(
            snapshot.student,
            missing=[f.message for f in found.unmet],
            deferred=[f.message for f in found.deferred],
            state=snapshot.state,
            workflow=snapshot.workflow,
        )
        end = window_interval(campaign, campaign.windows[window], snapshot.deadline).end
        facts[dossier_id] = _DossierFacts(snapshot, campaign, pupil, end)
    return facts


def _same_mobile(mobile: str | None, recipient: str) -> bool:
    if not mobile:
        return False
    try:
        return parse_fr_mobile(mobile) == recipient
    except ValueError:
        return mobile == recipient


def addressee(
    family: snap.Family, student: snap.Student, channel: str, recipient: str
) -> snap.Guardian:
    """The guardian a message is addressed to, the adult pupil, or a neutral one."""
    wanted = recipient.strip().lower()
    for guardian in family.guardians:
        if channel == "email" and (guardian.email or "").strip().lower() == wanted:
            return guardian
        if channel == "sms" and _same_mobile(guardian.mobile, recipient):
            return guardian
    own = student.email if channel == "email" else student.mobile
    if own and (own.strip().lower() == wanted or _same_mobile(own, recipient)):
        return snap.Guardian(student.ref, student.last_name, student.first_name, own, None)
    email, mobile = (recipient, None) if channel == "email" else (None, recipient)
    return snap.Guardian(family.ref, None, NEUTRAL_GREETING, email, mobile)


def _text(context: dict[str, Any], name: str) -> str | None:
    value = context.get(name)
    return None if value is None else str(value)


class _Shared:
    """One message context for several rows: built on first use, then readdressed."""

    def __init__(
        self,
        facts: list[_DossierFacts],
        reason: str | None,
        document: str | None,
        reminder: str | None,
    ) -> None:
        self.facts = facts
        self.texts = reason, document, reminder
        self.context: MessageContext | None = None
        self.variables: dict[snap.Guardian, dict[str, object]] = {}

    def input(self, row: QueuedRow) -> RenderInput:
        first = self.facts[0]
        guardian = addressee(first.snapshot.family, first.snapshot.student, row.channel,
                             row.recipient)  # fmt: skip
        return RenderInput(first.campaign, lambda: self.for_guardian(guardian))

    def for_guardian(self, guardian: snap.Guardian) -> dict[str, object]:
        variables = self.variables.get(guardian)
        if variables is None:
            if self.context is None:  # the first guardian asking: built for them
                context = self.context = self._build(guardian)
            else:
                context = with_guardian(self.context, guardian)
            variables = self.variables[guardian] = context.variables()
        return variables

    def _build(self, guardian: snap.Guardian) -> MessageContext:
        first = self.facts[0]
        reason, document, reminder = self.texts
        return build_message_context(
            first.campaign,
            guardian=guardian,
            family=first.snapshot.family,
            pupils=[f.pupil for f in self.facts],
            deadline_utc=min(f.deadline for f in self.facts),
            reason=reason,
            document=document,
            reminder_id=reminder,
        )
