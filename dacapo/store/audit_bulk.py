"""Audit rows for many dossiers at once, hash-chained in Python, inserted in bulk.

``store.audit.add_audit_row`` appends one row with one SELECT of the previous
row; bulk paths (opening 100,000 dossiers, remapping states) instead read the
chain tips of a whole chunk in one SELECT (``chain_tips``) and write every row
in one executemany (``insert_audit_rows``). Hashes come from the same
``chain.row_fields`` / ``chain.audit_hash``, so ``verify_audit`` accepts them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, select
from sqlmodel import Session

from dacapo.store.bulk import chunks, insert_rows
from dacapo.store.chain import GENESIS_HASH, audit_hash, row_fields
from dacapo.store.tables import AuditRow
from dacapo.store.unit_of_work import simulated_clock

AUDIT: Table = AuditRow.__table__  # type: ignore[attr-defined]
_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class Entry:
    """What one audit row records; the dossier, seq and hashes are added on writing."""

    event: str
    from_state: str
    to_state: str
    actor: str
    role: str
    reason: str | None
    effective_at: dt.datetime
    recorded_at: dt.datetime
    campaign_version: int
    simulated: bool = False


@dataclass(frozen=True, slots=True)
class _Row:
    """An audit row to be (``ChainRow`` for the hash functions)."""

    dossier_id: int
    seq: int
    event: str
    from_state: str
    to_state: str
    actor: str
    role: str
    reason: str | None
    effective_at: dt.datetime
    recorded_at: dt.datetime
    simulated: bool
    campaign_version: int
    prev_hash: str
    id: int | None = None
    hash: str = ""


def chain_tips(session: Session, dossier_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """``{dossier_id: (last seq, last hash)}`` for the dossiers that have audit rows."""
    tips: dict[int, tuple[int, str]] = {}
    for part in chunks(list(dossier_ids), _CHUNK):
        last = (
            select(AUDIT.c.dossier_id, func.max(AUDIT.c.seq).label("seq"))
            .where(AUDIT.c.dossier_id.in_(part))
            .group_by(AUDIT.c.dossier_id)
            .subquery()
        )
        query = select(AUDIT.c.dossier_id, AUDIT.c.seq, AUDIT.c.hash).join(
            last, (last.c.dossier_id == AUDIT.c.dossier_id) & (last.c.seq == AUDIT.c.seq)
        )
        tips.update({row.dossier_id: (row.seq, row.hash) for row in session.execute(query)})
    return tips


def insert_audit_rows(
    session: Session,
    entries: Iterable[tuple[int, Entry]],
    tips: dict[int, tuple[int, str]] | None = None,
) -> int:
    """Append one row per ``(dossier_id, entry)`` after the dossier's chain tip.

    ``tips`` as from ``chain_tips``; a dossier missing from it starts its chain.
    Returns the number of rows written.
    """
    tips = tips or {}
    simulated = simulated_clock(session)
    values: list[dict[str, Any]] = []
    for dossier_id, entry in entries:
        seq, prev_hash = tips.get(dossier_id, (0, GENESIS_HASH))
        row = _Row(
            dossier_id=dossier_id,
            seq=seq + 1,
            event=entry.event,
            from_state=entry.from_state,
            to_state=entry.to_state,
            actor=entry.actor,
            role=entry.role,
            reason=entry.reason,
            effective_at=entry.effective_at,
            recorded_at=entry.recorded_at,
            simulated=entry.simulated or simulated,
            campaign_version=entry.campaign_version,
            prev_hash=prev_hash,
        )
        fields = row_fields(row)
        digest = audit_hash(prev_hash, fields)
        tips[dossier_id] = (row.seq, digest)
        instants = {"effective_at": row.effective_at, "recorded_at": row.recorded_at}
        values.append({**fields, **instants, "prev_hash": prev_hash, "hash": digest})
    insert_rows(session, AUDIT, values)
    return len(values)
