"""Adding messages to the outbox, once per idempotency key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session

from dacapo.store.bulk import insert_rows, insert_rows_counted
from dacapo.store.tables import OutboxRow

_TABLE: Table = OutboxRow.__table__  # type: ignore[attr-defined]
_COLUMNS = [column.key for column in _TABLE.columns if column.key != "id"]


def add_outbox_rows(session: Session, rows: Iterable[OutboxRow | Mapping[str, Any]]) -> list[str]:
    """Insert ``rows``, skipping any whose ``idempotency_key`` already exists.

    ``INSERT ... ON CONFLICT DO NOTHING`` on both dialects (set-based: one
    executemany on SQLite, one array per column on PostgreSQL), in the
    session's transaction. Returns the keys actually inserted. The rows given
    are not added to the session (they are templates for the values). Bulk
    callers may give plain mappings of column values instead (much cheaper to
    build than ``OutboxRow`` objects), all with the same keys; columns left out
    take the model's defaults (those defaulting to NULL are left out of the INSERT).
    """
    written = insert_rows(
        session, _TABLE, _values(rows), returning=("idempotency_key",), ignore_conflicts=True
    )
    return [key for (key,) in written]


def queue_outbox_rows(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    """``add_outbox_rows`` for bulk callers that need only how many rows were new."""
    return insert_rows_counted(session, _TABLE, _values(rows), ignore_conflicts=True)


def _values(rows: Iterable[OutboxRow | Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    defaults: dict[str, Any] | None = None
    values: list[Mapping[str, Any]] = []
    for row in rows:
        if not isinstance(row, dict) and not isinstance(row, Mapping):
            values.append({key: getattr(row, key) for key in _COLUMNS})
            continue
        if defaults is None:  # the same keys in every mapping: the defaults they lack
            defaults = {key: value for key, value in _defaults().items() if key not in row}
        values.append({**defaults, **row} if defaults else row)
    return values


def _defaults() -> dict[str, Any]:
    """The columns' defaults (``created_at``: now), but for those that default to NULL."""
    fields = OutboxRow.model_fields
    found = {
        key: fields[key].get_default(call_default_factory=True)
        for key in _COLUMNS
        if not fields[key].is_required()
    }
    return {key: value for key, value in found.items() if value is not None}
