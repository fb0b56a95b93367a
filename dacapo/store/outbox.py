"""Adding messages to the outbox, once per idempotency key."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from dacapo.store.tables import OutboxRow

_TABLE: Table = OutboxRow.__table__  # type: ignore[attr-defined]
_CHUNK = 500  # rows per statement: well under SQLite's limit on bound parameters


def add_outbox_rows(session: Session, rows: Iterable[OutboxRow]) -> list[str]:
    """Insert ``rows``, skipping any whose ``idempotency_key`` already exists.

    One ``INSERT ... ON CONFLICT (idempotency_key) DO NOTHING`` on both dialects,
    in the session's transaction. Returns the keys actually inserted. The rows
    given are not added to the session (they are templates for the values).
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    values = [_values(row) for row in rows]
    inserted: list[str] = []
    for start in range(0, len(values), _CHUNK):
        statement = (
            insert(OutboxRow)
            .values(values[start : start + _CHUNK])
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(_TABLE.c.idempotency_key)
        )
        inserted.extend(session.execute(statement).scalars())
    return inserted


def _values(row: OutboxRow) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in _TABLE.columns if column.key != "id"}
