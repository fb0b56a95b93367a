"""One transaction per unit of work: explicit commit, rollback otherwise, version checks."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from dacapo.engine.errors import ConcurrentUpdate
from dacapo.store.audit import add_audit_row
from dacapo.store.database import Database
from dacapo.store.dossiers import get_dossier
from dacapo.store.tables import AuditRow, Family
from tests.integration.factories import NOW, campaign_version, seed_dossier


def _families(db: Database) -> int:
    with db.unit_of_work(read_only=True) as uow:
        return uow.session.exec(select(func.count()).select_from(Family)).one()


def test_a_unit_of_work_that_raises_before_commit_leaves_nothing_written(db: Database) -> None:
    with db.unit_of_work() as uow:
        campaign_version(uow.session)
        uow.commit()

    def fail_half_way() -> None:
        with db.unit_of_work() as uow:
            uow.session.add(Family(site_code="malakoff", ref="F1"))
            uow.session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_half_way()
    assert _families(db) == 0


def test_a_unit_of_work_left_without_commit_is_rolled_back(db: Database) -> None:
    with db.unit_of_work() as uow:
        campaign_version(uow.session)
        uow.session.add(Family(site_code="malakoff", ref="F1"))
    assert _families(db) == 0


def test_only_an_explicit_commit_writes(db: Database) -> None:
    with db.unit_of_work() as uow:
        campaign_version(uow.session)
        uow.session.add(Family(site_code="malakoff", ref="F1"))
        uow.commit()
    assert _families(db) == 1


def test_a_read_only_unit_of_work_refuses_to_commit(db: Database) -> None:
    with db.unit_of_work(read_only=True) as uow, pytest.raises(RuntimeError, match="read-only"):
        uow.commit()


def test_a_dossier_changed_since_it_was_loaded_raises_concurrent_update(db: Database) -> None:
    ref = seed_dossier(db).dossier_ref
    with db.unit_of_work() as first:
        mine = get_dossier(first.session, ref)  # loaded, then shown to a user...
    with db.unit_of_work() as second:
        get_dossier(second.session, ref).state = "withdrawn"
        second.commit()
    with db.unit_of_work() as third:
        third.session.add(mine)
        mine.state = "identity_verified"
        with pytest.raises(ConcurrentUpdate) as caught:
            third.commit()
    assert str(caught.value) == f"Someone else changed dossier {ref} first; reload and try again"
    with db.unit_of_work(read_only=True) as uow:
        assert get_dossier(uow.session, ref).state == "withdrawn"


def test_two_open_sessions_updating_one_dossier_the_second_commit_raises_concurrent_update(
    db: Database,
) -> None:
    if db.dialect == "sqlite":
        pytest.skip("SQLite writers never overlap: BEGIN IMMEDIATE makes the second one wait")
    ref = seed_dossier(db).dossier_ref
    with db.unit_of_work() as first, db.unit_of_work() as second:
        get_dossier(first.session, ref).state = "identity_verified"
        get_dossier(second.session, ref).state = "withdrawn"
        first.commit()
        with pytest.raises(ConcurrentUpdate, match=ref):
            second.commit()
    with db.unit_of_work(read_only=True) as uow:
        dossier = get_dossier(uow.session, ref)
        assert (dossier.state, dossier.version) == ("identity_verified", 2)


def test_two_sessions_appending_to_one_audit_chain_the_second_raises_concurrent_update(
    db: Database,
) -> None:
    if db.dialect == "sqlite":
        pytest.skip("SQLite writers never overlap: BEGIN IMMEDIATE makes the second one wait")
    ref = seed_dossier(db).dossier_ref
    with db.unit_of_work() as first, db.unit_of_work() as second:
        for uow in (first, second):
            dossier = get_dossier(uow.session, ref)  # held, as the engine holds it
            add_audit_row(
                uow.session,
                dossier,
                event="verify_identity",
                from_state="invited",
                to_state="identity_verified",
                actor="anne@example.org",
                role="guardian",
                reason=None,
                effective_at=NOW,
            )
        first.commit()
        with pytest.raises(ConcurrentUpdate, match=ref):
            second.commit()
    with db.unit_of_work(read_only=True) as uow:
        assert len(uow.session.exec(select(AuditRow)).all()) == 1
