"""Staff reviewing a supplied document: accept it, or reject it with a reason.

Everything happens in the caller's transaction. Accepting marks the document
and writes a ``document_accepted`` audit row on each dossier it concerns.
Rejecting marks it with the reason; then each concerned dossier where the
workflow allows ``reject_documents`` now (``documents_supplied``,
``rules_accepted`` in the bundled campaign) is sent back through the engine's
``fire`` — its audit row and the rejected-document notice (outbox) included —
and every other one gets a ``document_rejected`` audit row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session

from dacapo.campaigns.schema import Role
from dacapo.engine.errors import BadInput, DacapoError, GuardFailed, NotFound
from dacapo.engine.machine import machine_for
from dacapo.engine.services import fire
from dacapo.engine.texts import reason_text
from dacapo.rules.documents import kind_label
from dacapo.rules.snapshot import Actor
from dacapo.store.audit import add_audit_row
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.site_campaigns import concerned_dossiers, latest_site_campaign
from dacapo.store.tables import Document, Family

REJECT_EVENT = "reject_documents"
Decision = Literal["accept", "reject"]


@dataclass(frozen=True)
class DossierEffect:
    """What the review did to one dossier."""

    ref: str
    event: str  # reject_documents, document_rejected or document_accepted
    from_state: str
    to_state: str
    messages: int = 0  # outbox rows queued

    @property
    def moved(self) -> bool:
        return self.from_state != self.to_state


@dataclass(frozen=True)
class Review:
    document_id: int
    kind: str
    label: str
    status: str
    reason: str | None
    effects: tuple[DossierEffect, ...]


def review_document(
    session: Session,
    document_id: int,
    decision: Decision,
    *,
    actor: Actor,
    now: dt.datetime,
    reason: str | None = None,
) -> Review:
    """Accept or reject document ``document_id`` as staff ``actor``; see the module docstring."""
    reason = reason_text(reason)
    if actor.role is not Role.STAFF:
        message = f"Vérification des pièces réservée au personnel ({actor})"
        raise GuardFailed("review the document", [message], ["actor.role_not_allowed"])
    if decision == "reject" and reason is None:
        raise BadInput("--reject needs --reason: the family is told why")
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"No document {document_id}")
    status = "accepted" if decision == "accept" else "rejected"
    if document.status == status:
        by = f" by {document.reviewed_by}" if document.reviewed_by else ""
        raise DacapoError(f"Document {document_id} is already {status}{by}")
    family = session.get_one(Family, document.family_id)
    assert family.id is not None
    document.status = status
    document.reviewed_at = now
    document.reviewed_by = actor.id
    document.rejection_reason = reason if decision == "reject" else None
    session.add(document)
    session.flush()
    store = SqlDossierStore(session)
    _, latest = latest_site_campaign(session, family.site_code)
    label = kind_label(latest, document.kind)
    dossiers = concerned_dossiers(session, family.site_code, family.id, document.student_id)
    effects: list[DossierEffect] = []
    for dossier in dossiers:
        campaign = store.campaign(dossier.campaign_id, dossier.campaign_version)
        machine = machine_for(
            campaign.id,
            dossier.campaign_version,
            dossier.workflow,
            campaign.workflows[dossier.workflow],
        )
        state = dossier.state
        if decision == "reject" and REJECT_EVENT in machine.allowed_events(state):
            context = {"document": label, "document_id": document_id}
            outcome = fire(
                store, dossier.ref, REJECT_EVENT, actor, now=now, reason=reason, context=context
            )
            queued = sum(len(step.messages) for step in outcome.steps)
            effects.append(DossierEffect(dossier.ref, REJECT_EVENT, state, outcome.state, queued))
            continue
        event = f"document_{status}"
        summary = f"{document.kind} #{document_id}" + (f" : {reason}" if reason else "")
        add_audit_row(
            session,
            dossier,
            event=event,
            from_state=state,
            to_state=state,
            actor=actor.id,
            role=actor.role.value,
            reason=summary,
            effective_at=now,
        )
        effects.append(DossierEffect(dossier.ref, event, state, state))
    return Review(document_id, document.kind, label, status, reason, tuple(effects))
