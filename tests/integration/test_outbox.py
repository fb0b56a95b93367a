"""Outbox rows are added once per idempotency key."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from dacapo.store.database import Database
from dacapo.store.outbox import add_outbox_rows
from dacapo.store.tables import OutboxRow
from tests.integration.factories import NOW, seed_dossier


def _message(key: str, dossier_id: int) -> OutboxRow:
    return OutboxRow(
        idempotency_key=key,
        dossier_id=dossier_id,
        event="invitation",
        channel="email",
        recipient="anne@example.org",
        template="invitation",
        context={"student": "Léa", "closes": "2023-05-24"},
        next_attempt_at=NOW,
        created_at=NOW,
    )


def test_an_idempotency_key_prevents_duplicate_outbox_rows(db: Database) -> None:
    dossier_id = seed_dossier(db).dossier_id
    with db.unit_of_work() as uow:
        added = add_outbox_rows(uow.session, [_message(k, dossier_id) for k in ("a", "b")])
        uow.commit()
    assert added == ["a", "b"]
    with db.unit_of_work() as uow:
        keys = ("a", "c", "c", "b")
        added = add_outbox_rows(uow.session, [_message(k, dossier_id) for k in keys])
        uow.commit()
    assert added == ["c"]
    with db.unit_of_work(read_only=True) as uow:
        rows = uow.session.exec(select(OutboxRow).order_by(col(OutboxRow.id))).all()
    assert [row.idempotency_key for row in rows] == ["a", "b", "c"]
    assert rows[0].context == {"student": "Léa", "closes": "2023-05-24"}
    assert (rows[0].status, rows[0].attempts) == ("pending", 0)
    assert rows[0].next_attempt_at == NOW
    assert rows[0].next_attempt_at.tzinfo is dt.UTC


def test_adding_no_outbox_rows_is_a_no_op(db: Database) -> None:
    with db.unit_of_work() as uow:
        assert add_outbox_rows(uow.session, []) == []
