"""The audit log's hash chains verify, and tampering is found and named."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from dacapo.store.audit import add_audit_row, verify_audit
from dacapo.store.audit_bulk import Entry, chain_tips, insert_audit_rows
from dacapo.store.chain import GENESIS_HASH, audit_hash, row_fields, verify_chain
from dacapo.store.database import Database
from dacapo.store.dossiers import get_dossier
from dacapo.store.tables import AuditRow
from tests.integration.factories import NOW, seed_dossier

PATH = ["invited", "identity_verified", "documents_supplied", "rules_accepted"]
EVENTS = ["verify_identity", "supply_documents", "accept_rules"]


@pytest.fixture
def refs(db: Database) -> tuple[str, str]:
    """Two dossiers, three transitions each, written alternately."""
    first = seed_dossier(db, "S0042", "F0042").dossier_ref
    second = seed_dossier(db, "S0050", "F0050").dossier_ref
    for step in range(3):
        for ref in (first, second):
            with db.unit_of_work() as uow:
                dossier = get_dossier(uow.session, ref)
                add_audit_row(
                    uow.session,
                    dossier,
                    event=EVENTS[step],
                    from_state=PATH[step],
                    to_state=PATH[step + 1],
                    actor="anne@example.org",
                    role="guardian",
                    reason="Bonjour ! « accents » et ünïcode" if step == 1 else None,
                    effective_at=NOW + dt.timedelta(hours=step),
                    simulated=step == 2,
                )
                dossier.state = PATH[step + 1]
                uow.commit()
    return first, second


def _row_id(db: Database, ref: str, seq: int) -> int:
    with db.unit_of_work(read_only=True) as uow:
        dossier = get_dossier(uow.session, ref)
        row = uow.session.exec(
            select(AuditRow).where(AuditRow.dossier_id == dossier.id, AuditRow.seq == seq)
        ).one()
    assert row.id is not None
    return row.id


def _execute(db: Database, sql: str, **params: object) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(sql), params)


def _verify(db: Database) -> str | None:
    with db.unit_of_work(read_only=True) as uow:
        found = verify_audit(uow.session)
    return None if found is None else str(found)


def test_the_audit_chain_verifies(db: Database, refs: tuple[str, str]) -> None:
    assert _verify(db) is None
    with db.unit_of_work(read_only=True) as uow:
        assert verify_audit(uow.session, campaign_id="malakoff-2023-2024") is None
        assert verify_audit(uow.session, campaign_id="another-campaign") is None
        rows = uow.session.exec(select(AuditRow).order_by(col(AuditRow.id))).all()
    assert [row.seq for row in rows] == [1, 1, 2, 2, 3, 3]
    assert rows[0].prev_hash == GENESIS_HASH
    assert rows[2].prev_hash == rows[0].hash
    assert rows[0].effective_at.tzinfo is dt.UTC


def test_an_edited_audit_row_is_found_and_named(db: Database, refs: tuple[str, str]) -> None:
    row_id = _row_id(db, refs[0], 2)
    _execute(db, "UPDATE audit_log SET actor = 'mallory' WHERE id = :id", id=row_id)
    assert _verify(db) == (
        f"dossier {refs[0]}, audit row seq 2 (id {row_id}): "
        "hash does not match the row's content (row edited)"
    )


def test_a_deleted_audit_row_is_found_and_named(db: Database, refs: tuple[str, str]) -> None:
    _execute(db, "DELETE FROM audit_log WHERE id = :id", id=_row_id(db, refs[1], 2))
    row_id = _row_id(db, refs[1], 3)
    assert _verify(db) == (
        f"dossier {refs[1]}, audit row seq 3 (id {row_id}): seq 2 is missing after seq 1 "
        "(row deleted)"
    )


def test_a_deleted_last_audit_row_is_found_against_the_dossier_state(
    db: Database, refs: tuple[str, str]
) -> None:
    _execute(db, "DELETE FROM audit_log WHERE id = :id", id=_row_id(db, refs[0], 3))
    row_id = _row_id(db, refs[0], 2)
    assert _verify(db) == (
        f"dossier {refs[0]}, audit row seq 2 (id {row_id}): last row leads to "
        "'documents_supplied' but the dossier is 'rules_accepted' "
        "(later rows deleted, or state changed outside the engine)"
    )


def test_swapped_audit_rows_are_found_and_named(db: Database, refs: tuple[str, str]) -> None:
    second, third = _row_id(db, refs[0], 2), _row_id(db, refs[0], 3)
    _execute(db, "UPDATE audit_log SET id = -1 WHERE id = :id", id=second)
    _execute(db, "UPDATE audit_log SET id = :new WHERE id = :old", new=second, old=third)
    _execute(db, "UPDATE audit_log SET id = :new WHERE id = -1", new=third)
    assert _verify(db) == (
        f"dossier {refs[0]}, audit row seq 3 (id {second}): expected seq 2 after seq 1, "
        "found seq 3 (rows out of order)"
    )


def test_the_orm_refuses_to_change_an_audit_row(db: Database, refs: tuple[str, str]) -> None:
    with db.unit_of_work() as uow:
        row = uow.session.exec(select(AuditRow)).first()
        assert row is not None
        row.reason = "rewritten"
        with pytest.raises(RuntimeError, match="append-only"):
            uow.commit()


@dataclasses.dataclass
class Row:
    id: int
    dossier_id: int
    seq: int
    prev_hash: str
    hash: str = ""
    event: str = "confirm"
    from_state: str = "rules_accepted"
    to_state: str = "confirmed"
    actor: str = "system"
    role: str = "system"
    reason: str | None = None
    effective_at: dt.datetime = NOW
    recorded_at: dt.datetime = NOW
    simulated: bool = False
    campaign_version: int = 1


def _chain(length: int) -> list[Row]:
    rows: list[Row] = []
    for seq in range(1, length + 1):
        row = Row(id=seq, dossier_id=7, seq=seq, prev_hash=rows[-1].hash if rows else GENESIS_HASH)
        row.hash = audit_hash(row.prev_hash, row_fields(row))
        rows.append(row)
    return rows


def test_verify_chain_on_plain_rows_names_the_first_broken_row() -> None:
    rows = _chain(4)
    assert verify_chain(rows) is None
    found = verify_chain([rows[0], rows[2], rows[1], rows[3]], {7: "malakoff-2023-2024-S0007"})
    assert found is not None
    assert (found.row_id, found.seq, found.dossier_ref) == (3, 3, "malakoff-2023-2024-S0007")
    assert "out of order" in found.problem
    rows[3].reason = "edited"
    found = verify_chain(rows)
    assert found is not None
    assert (found.row_id, found.dossier_ref, str(found)) == (
        4,
        None,
        "dossier #7, audit row seq 4 (id 4): hash does not match the row's content (row edited)",
    )


def test_a_row_rehashed_after_a_deletion_still_breaks_the_chain() -> None:
    rows = _chain(3)
    forged = dataclasses.replace(rows[2], seq=2)
    forged.hash = audit_hash(forged.prev_hash, row_fields(forged))
    found = verify_chain([rows[0], forged])
    assert found is not None
    assert found.problem.startswith("prev_hash does not match")


@pytest.mark.parametrize(
    "reason",
    [
        None,
        'Il a dit "seq":0 puis "dossier_id":0',
        "accolades {0} {{}} et « guillemets »",
        "\\u0000",
    ],
)
def test_rows_written_in_bulk_hash_as_rows_written_one_by_one(db: Database, reason: str) -> None:
    """``insert_audit_rows`` hashes from a per-entry pattern: the same digests as ``audit_hash``."""
    refs = [seed_dossier(db, f"S00{n}", f"F00{n}").dossier_ref for n in (60, 61, 62)]
    entry = Entry(event="lapse", from_state="invited", to_state="lapsed", actor="dacapo",
                  role="system", reason=reason, effective_at=NOW, recorded_at=NOW,
                  campaign_version=1)  # fmt: skip
    with db.unit_of_work() as uow:
        dossiers = [get_dossier(uow.session, ref) for ref in refs]
        for dossier in dossiers:
            dossier.state = "lapsed"  # where the rows lead
        ids = [dossier.id for dossier in dossiers]
        pairs = [(dossier_id, entry) for dossier_id in ids if dossier_id is not None]
        insert_audit_rows(uow.session, pairs + pairs[:1], chain_tips(uow.session, ids))
        uow.commit()

    with db.unit_of_work(read_only=True) as uow:
        rows = uow.session.exec(select(AuditRow).order_by(col(AuditRow.id))).all()
        assert verify_audit(uow.session) is None
    assert len(rows) == 4
    assert [row.seq for row in rows] == [1, 1, 1, 2]
    for row in rows:
        assert row.hash == audit_hash(row.prev_hash, row_fields(row))
        assert row.reason == reason
