"""fire() on a real database: state, audit row and outbox rows together or not at all."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from dacapo.campaigns.schema import Role
from dacapo.engine.errors import GuardFailed
from dacapo.engine.services import fire
from dacapo.rules.snapshot import Actor
from dacapo.store.audit import verify_audit
from dacapo.store.database import Database
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.tables import AuditRow, Dossier, OutboxRow
from tests.integration.fire_workers import race
from tests.integration.malakoff import load_bundled_campaign, seed_family

PARIS = dt.timezone(dt.timedelta(hours=2))
NOW = dt.datetime(2023, 5, 15, 10, 0, tzinfo=PARIS)
CLAIRE = Actor(Role.GUARDIAN, "claire.f1@example.org")


def _fire(db: Database, ref: str, event: str, actor: Actor = CLAIRE, **kwargs: object) -> None:
    with db.unit_of_work() as uow:
        fire(SqlDossierStore(uow.session), ref, event, actor, now=NOW, **kwargs)  # type: ignore[arg-type]
        uow.commit()


def _counts(db: Database, ref: str) -> tuple[str, int, int]:
    with db.unit_of_work(read_only=True) as uow:
        dossier = uow.session.exec(select(Dossier).where(Dossier.ref == ref)).one()
        audit = uow.session.exec(
            select(func.count()).select_from(AuditRow).where(AuditRow.dossier_id == dossier.id)
        ).one()
        outbox = uow.session.exec(select(func.count()).select_from(OutboxRow)).one()
        return dossier.state, audit, outbox


@pytest.fixture
def malakoff(db: Database) -> list[str]:
    load_bundled_campaign(db)
    return seed_family(db, "F1", pupils=2)


def test_a_family_reaches_confirmed_with_an_audit_row_per_step_and_two_confirmations(
    db: Database, malakoff: list[str]
) -> None:
    ref = malakoff[0]
    for event in ("verify_identity", "supply_documents", "accept_rules"):
        _fire(db, ref, event)
    state, audit, _ = _counts(db, ref)
    assert (state, audit) == ("confirmed", 4)
    with db.unit_of_work(read_only=True) as uow:
        rows = uow.session.exec(select(OutboxRow)).all()
        assert sorted(r.recipient for r in rows) == [
            "claire.f1@example.org",
            "moussa.f1@example.org",
        ]
        assert {r.event for r in rows} == {"confirmation"}
        assert all(r.next_attempt_at == NOW for r in rows)
        assert verify_audit(uow.session) is None


def test_a_refusal_writes_nothing(db: Database, malakoff: list[str]) -> None:
    with pytest.raises(GuardFailed):
        _fire(db, malakoff[0], "verify_identity", Actor(Role.GUARDIAN, "stranger@example.org"))
    assert _counts(db, malakoff[0]) == ("invited", 0, 0)


def test_a_failure_after_the_state_update_but_before_commit_leaves_everything_untouched(
    db: Database, malakoff: list[str]
) -> None:
    ref = malakoff[0]
    for event in ("verify_identity", "supply_documents"):
        _fire(db, ref, event)
    before = _counts(db, ref)

    class Crash(Exception):
        pass

    def accept_then_crash() -> None:
        with db.unit_of_work() as uow:
            outcome = fire(SqlDossierStore(uow.session), ref, "accept_rules", CLAIRE, now=NOW)
            assert outcome.state == "confirmed"  # state, audit and outbox were flushed...
            raise Crash  # ...and the process dies before commit

    with pytest.raises(Crash):
        accept_then_crash()
    assert _counts(db, ref) == before == ("documents_supplied", 2, 0)


def test_two_processes_firing_on_one_dossier_at_once_one_wins_one_conflicts_100_times(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    load_bundled_campaign(db)
    refs = [ref for i in range(50) for ref in seed_family(db, f"R{i}", pupils=2)]
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(2)
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        futures = [
            pool.submit(race, database_url, str(tmp_path), refs, barrier, name)
            for name in ("alice", "bruno")
        ]
        first, second = (f.result(timeout=300) for f in futures)
    for ref, a, b in zip(refs, first, second, strict=True):
        assert sorted((a, b)) == ["conflict", "won"], ref
    with db.unit_of_work(read_only=True) as uow:
        rows = uow.session.exec(select(AuditRow.dossier_id, AuditRow.event)).all()
        assert len(rows) == 100
        assert len({dossier_id for dossier_id, _ in rows}) == 100
        assert verify_audit(uow.session) is None
