"""What the model test reads back after every step, on a read-only SQLite connection.

The plain ``sqlite3`` driver (a few microseconds a query, where SQLAlchemy takes a
quarter of a millisecond) on a ``mode=ro`` connection: checking can never write.
Instants come back as the aware UTC datetimes the audit chain hashes.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

FamilyRows = tuple[list[tuple], list["AuditLine"], list[tuple]]


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One ``audit_log`` row (``ChainRow`` for ``chain.verify_chain``)."""

    id: int
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
    hash: str


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


class Reader:
    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def family(self, dossier_ids: list[int]) -> FamilyRows:
        """The dossiers (id, state, version, deadline, house rules), their audit rows in
        ``id`` order and their outbox rows (key, dossier id, event, channel, recipient)."""
        marks = ",".join("?" * len(dossier_ids))
        run = self.connection.execute
        dossiers = [
            (id_, state, version, deadline and dt.date.fromisoformat(deadline), rules)
            for id_, state, version, deadline, rules in run(
                "SELECT id, state, version, deadline, house_rules_version FROM dossier"
                f" WHERE id IN ({marks})",
                dossier_ids,
            )
        ]
        audit = [
            AuditLine(*row[:9], _instant(row[9]), _instant(row[10]), bool(row[11]), *row[12:])
            for row in run(
                "SELECT id, dossier_id, seq, event, from_state, to_state, actor, role, reason,"
                " effective_at, recorded_at, simulated, campaign_version, prev_hash, hash"
                f" FROM audit_log WHERE dossier_id IN ({marks}) ORDER BY id",
                dossier_ids,
            )
        ]
        outbox = run(
            "SELECT idempotency_key, dossier_id, event, channel, recipient FROM outbox"
            f" WHERE dossier_id IN ({marks})",
            dossier_ids,
        ).fetchall()
        return dossiers, audit, outbox

    def close(self) -> None:
        self.connection.close()
