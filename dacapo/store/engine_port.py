"""The engine's store port on SQL: reads a dossier, writes a ``Change``.

Used inside one unit of work: the state, the audit row and the outbox rows of
a change are written in the unit's transaction, so they commit together or
not at all. The hot path is SQLAlchemy Core, a handful of statements per
transition: reading a dossier is three queries (dossier with its pupil,
family, answers and campaign hash; guardians; documents), writing one is a
version-checked UPDATE, an audit INSERT and the outbox INSERT.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, and_, bindparam, func, or_, select, update
from sqlmodel import Session, SQLModel

from dacapo.campaigns.schema import Campaign
from dacapo.engine.errors import ConcurrentUpdate, DossierNotFound, NotFound
from dacapo.engine.model import Change, DossierRecord
from dacapo.store.audit_bulk import Entry, insert_audit_rows
from dacapo.store.campaign_versions import campaign_of, get_campaign_version
from dacapo.store.chain import GENESIS_HASH
from dacapo.store.dossiers import SNAPSHOT_COLUMNS, snapshot_from_row
from dacapo.store.outbox import add_outbox_rows
from dacapo.store.tables import (
    Answer,
    AuditRow,
    CampaignVersion,
    Document,
    Dossier,
    Family,
    Guardian,
    OutboxRow,
    Student,
)
from dacapo.store.types import utcnow

_CAMPAIGNS: dict[tuple[str, int, str], Campaign] = {}


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


DOSSIER_TABLE = _table(Dossier)
D, S, F, A, C = (_table(t).c for t in (Dossier, Student, Family, Answer, CampaignVersion))
G, DOC, AU = (_table(t).c for t in (Guardian, Document, AuditRow))


_LAST_AUDIT = (
    select(AU.seq, AU.hash)
    .where(AU.dossier_id == D.id)
    .order_by(AU.seq.desc())
    .limit(1)
    .correlate(DOSSIER_TABLE)
)
# Statements built once: per call only the parameters change.
_HEAD = (
    select(*SNAPSHOT_COLUMNS, D.version.label("d_version"),
           D.campaign_id.label("d_campaign_id"), D.campaign_version.label("d_campaign_version"),
           C.sha256.label("c_sha256"),
           _LAST_AUDIT.with_only_columns(AU.seq).scalar_subquery().label("last_seq"),
           _LAST_AUDIT.with_only_columns(AU.hash).scalar_subquery().label("last_hash"))
    .select_from(DOSSIER_TABLE)
    .join(_table(Student), S.id == D.student_id)
    .join(_table(Family), F.id == S.family_id)
    .outerjoin(_table(Answer), A.dossier_id == D.id)
    .join(_table(CampaignVersion), and_(
        C.campaign_id == D.campaign_id, C.version == D.campaign_version))
    .where(D.ref == bindparam("ref"))
)  # fmt: skip
_GUARDIANS = (
    select(_table(Guardian)).where(G.family_id == bindparam("family_id")).order_by(G.position)
)
_DOCUMENTS = (
    select(_table(Document))
    .where(DOC.family_id == bindparam("family_id"))
    .where(or_(DOC.student_id.is_(None), DOC.student_id == bindparam("student_id")))
    .order_by(DOC.id)
)
_MOVE = (
    update(DOSSIER_TABLE)
    .where(D.id == bindparam("dossier_id"), D.version == bindparam("expected"))
    .values(
        state=bindparam("to_state"),
        version=D.version + 1,
        updated_at=bindparam("now"),
        house_rules_version=func.coalesce(bindparam("house_rules"), D.house_rules_version),
    )
)
_AUDIT_INSERT = _table(AuditRow).insert()
_AUDIT_COLUMNS = [c.key for c in _table(AuditRow).columns if c.key != "id"]


class SqlDossierStore:
    """``DossierStore`` over a session whose transaction the caller owns."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._ids: dict[str, tuple[int, int]] = {}  # ref -> (dossier id, family id)
        self._sha: dict[tuple[str, int], str] = {}
        self._last: dict[int, tuple[int, str]] = {}  # dossier id -> last audit (seq, hash)

    def dossier(self, ref: str) -> DossierRecord:
        head = self.session.execute(_HEAD, {"ref": ref}).one_or_none()
        if head is None:
            raise DossierNotFound(ref)
        dossier_id, family_id = head.d_id, head.f_id
        self._ids[ref] = (dossier_id, family_id)
        self._last[dossier_id] = (head.last_seq or 0, head.last_hash or GENESIS_HASH)
        self._sha[head.d_campaign_id, head.d_campaign_version] = head.c_sha256
        guardians = self.session.execute(_GUARDIANS, {"family_id": family_id}).all()
        documents = self.session.execute(
            _DOCUMENTS, {"family_id": family_id, "student_id": head.s_id}
        ).all()
        return DossierRecord(
            ref=ref,
            version=head.d_version,
            campaign_id=head.d_campaign_id,
            campaign_version=head.d_campaign_version,
            snapshot=snapshot_from_row(head, guardians, documents),
            adult_email=head.s_email,
        )

    def campaign(self, campaign_id: str, version: int) -> Campaign:
        """The campaign version's definition, parsed once per process (keyed by content hash)."""
        sha = self._sha.get((campaign_id, version))
        if sha is None:
            sha = self.session.execute(
                select(C.sha256).where(C.campaign_id == campaign_id, C.version == version)
            ).scalar_one_or_none()
            if sha is None:
                raise NotFound(f"No campaign {campaign_id!r} version {version}")
            self._sha[campaign_id, version] = sha
        campaign = _CAMPAIGNS.get((campaign_id, version, sha))
        if campaign is None:
            row = get_campaign_version(self.session, campaign_id, version)
            assert row is not None
            campaign = _CAMPAIGNS[campaign_id, version, sha] = campaign_of(row)
        return campaign

    def apply(self, change: Change) -> int:
        if change.dossier_ref not in self._ids:
            self.dossier(change.dossier_ref)
        dossier_id, family_id = self._ids[change.dossier_ref]
        moved = self.session.execute(
            _MOVE,
            {
                "dossier_id": dossier_id,
                "expected": change.expected_version,
                "to_state": change.to_state,
                "now": utcnow(),
                "house_rules": change.house_rules_version,
            },
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdate(change.dossier_ref)
        self._expire_loaded(dossier_id)
        seq = self._append_audit(dossier_id, change)
        add_outbox_rows(
            self.session,
            [
                OutboxRow(
                    idempotency_key=m.key,
                    dossier_id=dossier_id,
                    family_id=family_id,
                    event=m.message,
                    channel=m.channel,
                    recipient=m.recipient,
                    template=m.template,
                    context=m.context,
                    next_attempt_at=change.effective_at,
                    created_at=utcnow(),
                )
                for m in change.messages
            ],
        )
        return seq

    def _expire_loaded(self, dossier_id: int) -> None:
        """An ORM ``Dossier`` loaded earlier in this session is stale now: reload it on use."""
        for obj in list(self.session.identity_map.values()):
            if isinstance(obj, Dossier) and obj.id == dossier_id:
                self.session.expire(obj)

    def _append_audit(self, dossier_id: int, change: Change) -> int:
        entry = Entry(
            event=change.event,
            from_state=change.from_state,
            to_state=change.to_state,
            actor=change.actor.id,
            role=change.actor.role.value,
            reason=change.reason,
            effective_at=change.effective_at,
            recorded_at=utcnow(),
            campaign_version=change.campaign_version,
            simulated=change.simulated,
        )
        insert_audit_rows(self.session, [(dossier_id, entry)], self._last)
        return self._last[dossier_id][0]


__all__ = ["SqlDossierStore"]
