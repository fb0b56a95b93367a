"""The engine's store port on SQL: reads a dossier, writes a ``Change``.

Used inside one unit of work: the state, the audit row and the outbox rows a
change calls for are written in the unit's transaction, so they commit
together or not at all.
"""

from __future__ import annotations

from sqlmodel import Session

from dacapo.campaigns.schema import Campaign
from dacapo.engine.errors import ConcurrentUpdate, NotFound
from dacapo.engine.model import Change, DossierRecord
from dacapo.store.audit import add_audit_row
from dacapo.store.campaign_versions import campaign_of, get_campaign_version
from dacapo.store.dossiers import get_dossier, load_snapshot
from dacapo.store.outbox import add_outbox_rows
from dacapo.store.tables import Dossier, OutboxRow, Student

_CAMPAIGNS: dict[tuple[str, int, str], Campaign] = {}


class SqlDossierStore:
    """``DossierStore`` over a session whose transaction the caller owns."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _row(self, ref: str) -> Dossier:
        return get_dossier(self.session, ref)

    def dossier(self, ref: str) -> DossierRecord:
        row = self._row(ref)
        student = self.session.get_one(Student, row.student_id)
        return DossierRecord(
            ref=row.ref,
            version=row.version,
            campaign_id=row.campaign_id,
            campaign_version=row.campaign_version,
            snapshot=load_snapshot(self.session, row),
            adult_email=student.email,
        )

    def campaign(self, campaign_id: str, version: int) -> Campaign:
        """The campaign version's definition, parsed once per process (by content hash)."""
        row = get_campaign_version(self.session, campaign_id, version)
        if row is None:
            raise NotFound(f"No campaign {campaign_id!r} version {version}")
        key = (campaign_id, version, row.sha256)
        campaign = _CAMPAIGNS.get(key)
        if campaign is None:
            campaign = _CAMPAIGNS[key] = campaign_of(row)
        return campaign

    def apply(self, change: Change) -> int:
        row = self._row(change.dossier_ref)
        if row.version != change.expected_version:
            raise ConcurrentUpdate(change.dossier_ref)
        row.state = change.to_state
        if change.house_rules_version is not None:
            row.house_rules_version = change.house_rules_version
        self.session.add(row)
        audit = add_audit_row(
            self.session,
            row,
            event=change.event,
            from_state=change.from_state,
            to_state=change.to_state,
            actor=change.actor.id,
            role=change.actor.role.value,
            reason=change.reason,
            effective_at=change.effective_at,
            simulated=change.simulated,
            campaign_version=change.campaign_version,
        )
        student = self.session.get_one(Student, row.student_id)
        add_outbox_rows(
            self.session,
            [
                OutboxRow(
                    idempotency_key=m.key,
                    dossier_id=row.id,
                    family_id=student.family_id,
                    event=m.message,
                    channel=m.channel,
                    recipient=m.recipient,
                    template=m.template,
                    context=m.context,
                    next_attempt_at=change.effective_at,
                )
                for m in change.messages
            ],
        )
        self.session.flush()  # the optimistic version check happens here
        return audit.seq
