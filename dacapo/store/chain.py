"""The audit hash chain: pure functions, no database.

Each dossier has its own chain. A row's ``hash`` is the SHA-256 of a
canonical JSON document holding the row's meaningful fields (dossier id,
seq, event, states, actor, role, reason, instants, simulated flag, campaign
version) and ``prev_hash``, the hash of the dossier's previous row
(``GENESIS_HASH`` for seq 1). Per-dossier chains let concurrent transitions
on different dossiers append without contending for one global "last row".

``verify_chain`` reads rows in global ``id`` order (the order they were
written) and checks, for each row:

- its hash matches its fields (an *edited* row fails here);
- its ``seq`` follows the dossier's previous row (a *deleted* row leaves a
  gap; *swapped* rows come out of order);
- its ``prev_hash`` equals the previous row's ``hash``.

The chain detects careless or naive tampering, not a forger who recomputes
every later hash; deleting a dossier's *last* rows is seen only by comparing
the dossier's state with its last ``to_state`` (``repository.verify_audit``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

GENESIS_HASH = "0" * 64


class ChainRow(Protocol):
    """What the chain needs of an audit row (``AuditRow`` satisfies it)."""

    @property
    def id(self) -> int | None: ...
    @property
    def dossier_id(self) -> int: ...
    @property
    def seq(self) -> int: ...
    @property
    def event(self) -> str: ...
    @property
    def from_state(self) -> str: ...
    @property
    def to_state(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def effective_at(self) -> dt.datetime: ...
    @property
    def recorded_at(self) -> dt.datetime: ...
    @property
    def simulated(self) -> bool: ...
    @property
    def campaign_version(self) -> int: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


def _instant(value: dt.datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} cannot be hashed")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def row_fields(row: ChainRow) -> dict[str, Any]:
    """The fields a row's hash covers (everything but ``id``, ``prev_hash``, ``hash``)."""
    return {
        "dossier_id": row.dossier_id,
        "seq": row.seq,
        "event": row.event,
        "from_state": row.from_state,
        "to_state": row.to_state,
        "actor": row.actor,
        "role": row.role,
        "reason": row.reason,
        "effective_at": _instant(row.effective_at),
        "recorded_at": _instant(row.recorded_at),
        "simulated": bool(row.simulated),
        "campaign_version": row.campaign_version,
    }


def audit_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``fields`` plus ``prev_hash``."""
    return hashlib.sha256(canonical_text(prev_hash, fields).encode("utf-8")).hexdigest()


def canonical_text(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """The text ``audit_hash`` digests: sorted keys, no spaces, UTF-8 kept."""
    document = {**fields, "prev_hash": prev_hash}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class ChainBreak:
    """The first row where the chain does not hold, and why."""

    row_id: int | None
    dossier_id: int
    dossier_ref: str | None
    seq: int
    problem: str

    def __str__(self) -> str:
        dossier = self.dossier_ref or f"#{self.dossier_id}"
        return f"dossier {dossier}, audit row seq {self.seq} (id {self.row_id}): {self.problem}"


def verify_chain(
    rows: Iterable[ChainRow], refs: Mapping[int, str] | None = None
) -> ChainBreak | None:
    """The first broken row of ``rows`` (given in ``id`` order), or None if all hold.

    ``refs`` maps dossier ids to dossier refs, to name the dossier in the answer.
    """
    rows = list(rows)
    refs = refs or {}
    seqs: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        seqs[row.dossier_id].add(row.seq)
    last: dict[int, tuple[int, str]] = {}

    def broken(row: ChainRow, problem: str) -> ChainBreak:
        return ChainBreak(row.id, row.dossier_id, refs.get(row.dossier_id), row.seq, problem)

    for row in rows:
        if audit_hash(row.prev_hash, row_fields(row)) != row.hash:
            return broken(row, "hash does not match the row's content (row edited)")
        previous_seq, previous_hash = last.get(row.dossier_id, (0, GENESIS_HASH))
        expected = previous_seq + 1
        if row.seq != expected:
            after = f"after seq {previous_seq}" if previous_seq else "first"
            if row.seq < expected or expected in seqs[row.dossier_id]:
                problem = f"expected seq {expected} {after}, found seq {row.seq}"
                problem += " (rows out of order)"
            else:
                problem = f"seq {expected} is missing {after} (row deleted)"
            return broken(row, problem)
        if row.prev_hash != previous_hash:
            return broken(row, "prev_hash does not match the previous row's hash (chain broken)")
        last[row.dossier_id] = (row.seq, row.hash)
    return None
