"""Audit rows for many dossiers at once, hash-chained in Python, inserted in bulk.

``store.audit.add_audit_row`` appends one row with one SELECT of the previous
row; bulk paths (opening 100,000 dossiers, remapping states) instead read the
chain tips of a whole chunk in one SELECT (``chain_tips``) and write every row
in one executemany (``insert_audit_rows``). Hashes come from the same
``chain.row_fields`` / ``chain.audit_hash``, so ``verify_audit`` accepts them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, select
from sqlmodel import Session

from dacapo.store.bulk import insert_rows, one_of
from dacapo.store.chain import GENESIS_HASH, canonical_text, row_fields
from dacapo.store.tables import AuditRow
from dacapo.store.unit_of_work import simulated_clock

AUDIT: Table = AuditRow.__table__  # type: ignore[attr-defined]


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
    if not dossier_ids:
        return {}
    last = (
        select(AUDIT.c.dossier_id, func.max(AUDIT.c.seq).label("seq"))
        .where(one_of(session, AUDIT.c.dossier_id, list(dossier_ids)))
        .group_by(AUDIT.c.dossier_id)
        .subquery()
    )
    query = select(AUDIT.c.dossier_id, AUDIT.c.seq, AUDIT.c.hash).join(
        last, (last.c.dossier_id == AUDIT.c.dossier_id) & (last.c.seq == AUDIT.c.seq)
    )
    return {dossier_id: (seq, digest) for dossier_id, seq, digest in session.execute(query)}


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
    # By identity (callers share one entry among many rows); the entry is kept
    # alive beside its shape, so that its id is not reused by another one.
    shapes: dict[int, tuple[Entry, _Shape]] = {}
    values: list[dict[str, Any]] = []
    for dossier_id, entry in entries:
        if (known := shapes.get(id(entry))) is None:
            known = shapes[id(entry)] = (entry, _Shape.of(entry, simulated))
        shape = known[1]
        seq, prev_hash = tips.get(dossier_id, (0, GENESIS_HASH))
        digest = shape.hash(dossier_id, seq + 1, prev_hash)
        tips[dossier_id] = (seq + 1, digest)
        values.append({**shape.columns, "dossier_id": dossier_id, "seq": seq + 1,
                       "prev_hash": prev_hash, "hash": digest})  # fmt: skip
    insert_rows(session, AUDIT, values)
    return len(values)


@dataclass(frozen=True, slots=True)
class _Shape:
    """What the rows of one entry share: their columns, and their hashed text but three values.

    The canonical JSON ``audit_hash`` digests sorts its keys and escapes every
    quote inside strings, so ``"dossier_id":0``, ``"seq":0`` and
    ``"prev_hash":""`` occur once each in it, as structure: the text of an
    entry's rows is that of a first row with those three values replaced.
    Tested equal to ``audit_hash(prev_hash, row_fields(row))``.
    """

    columns: dict[str, Any]
    text: str  # a str.format pattern with {0} dossier_id, {1} seq, {2} prev_hash

    @classmethod
    def of(cls, entry: Entry, simulated: bool) -> _Shape:
        row = _Row(dossier_id=0, seq=0, event=entry.event, from_state=entry.from_state,
                   to_state=entry.to_state, actor=entry.actor, role=entry.role,
                   reason=entry.reason, effective_at=entry.effective_at,
                   recorded_at=entry.recorded_at, simulated=entry.simulated or simulated,
                   campaign_version=entry.campaign_version, prev_hash="")  # fmt: skip
        fields = row_fields(row)
        text = canonical_text("", fields).replace("{", "{{").replace("}", "}}")
        for placeholder, value in (('"dossier_id":0', '"dossier_id":{0}'), ('"seq":0', '"seq":{1}'),
                                   ('"prev_hash":""', '"prev_hash":"{2}"')):  # fmt: skip
            assert text.count(placeholder) == 1, placeholder
            text = text.replace(placeholder, value)
        instants = {"effective_at": row.effective_at, "recorded_at": row.recorded_at}
        return cls({**fields, **instants}, text)

    def hash(self, dossier_id: int, seq: int, prev_hash: str) -> str:
        text = self.text.format(dossier_id, seq, prev_hash)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
