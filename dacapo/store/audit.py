"""Appending to the audit log and verifying its hash chains."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from dacapo.store.chain import GENESIS_HASH, ChainBreak, audit_hash, row_fields, verify_chain
from dacapo.store.tables import AuditRow, Dossier
from dacapo.store.types import utcnow
from dacapo.store.unit_of_work import simulated_clock


def add_audit_row(
    session: Session,
    dossier: Dossier,
    *,
    event: str,
    from_state: str,
    to_state: str,
    actor: str,
    role: str,
    reason: str | None,
    effective_at: dt.datetime,
    simulated: bool = False,
    campaign_version: int | None = None,
    recorded_at: dt.datetime | None = None,
) -> AuditRow:
    """Append a row to ``dossier``'s chain: next ``seq``, ``prev_hash`` and ``hash`` computed.

    ``effective_at`` is the engine's ``now``; ``recorded_at`` defaults to the real
    clock; ``campaign_version`` to the dossier's.
    """
    if dossier.id is None:
        session.flush()
    assert dossier.id is not None
    previous = session.exec(
        select(AuditRow).where(AuditRow.dossier_id == dossier.id).order_by(col(AuditRow.seq).desc())
    ).first()
    row = AuditRow(
        dossier_id=dossier.id,
        seq=1 if previous is None else previous.seq + 1,
        event=event,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        role=role,
        reason=reason,
        effective_at=effective_at,
        recorded_at=recorded_at or utcnow(),
        simulated=simulated or simulated_clock(session),
        campaign_version=dossier.campaign_version if campaign_version is None else campaign_version,
        prev_hash=GENESIS_HASH if previous is None else previous.hash,
        hash="",
    )
    row.hash = audit_hash(row.prev_hash, row_fields(row))
    session.add(row)
    return row


def verify_audit(session: Session, *, campaign_id: str | None = None) -> ChainBreak | None:
    """Verify every chain (or one campaign's), then each dossier's last row against its state.

    Rows are read in ``id`` order; the answer names the first broken row.
    """
    rows_query = select(AuditRow).join(Dossier, col(Dossier.id) == AuditRow.dossier_id)
    dossiers_query = select(Dossier.id, Dossier.ref, Dossier.state)
    if campaign_id is not None:
        rows_query = rows_query.where(Dossier.campaign_id == campaign_id)
        dossiers_query = dossiers_query.where(Dossier.campaign_id == campaign_id)
    dossiers = {int(id_ or 0): (ref, state) for id_, ref, state in session.exec(dossiers_query)}
    rows = session.exec(rows_query.order_by(col(AuditRow.id))).all()
    refs = {id_: ref for id_, (ref, _) in dossiers.items()}
    found = verify_chain(rows, refs)
    if found is not None:
        return found
    last: dict[int, AuditRow] = {row.dossier_id: row for row in rows}
    for dossier_id, row in sorted(last.items(), key=lambda item: item[1].id or 0):
        ref, state = dossiers[dossier_id]
        if row.to_state != state:
            problem = (
                f"last row leads to {row.to_state!r} but the dossier is {state!r} "
                "(later rows deleted, or state changed outside the engine)"
            )
            return ChainBreak(row.id, dossier_id, ref, row.seq, problem)
    return None
