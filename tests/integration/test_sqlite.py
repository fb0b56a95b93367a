"""SQLite: WAL, busy timeout, BEGIN IMMEDIATE; concurrent processes both get through."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from dacapo.engine.errors import DatabaseBusy
from dacapo.store.database import Database, open_database
from dacapo.store.engines import make_engine
from dacapo.store.migrate import current_revision, head_revision
from dacapo.store.tables import Family
from dacapo.store.unit_of_work import UnitOfWork
from tests.integration.factories import campaign_version
from tests.integration.workers import open_only, write_families


@pytest.fixture
def sqlite_db(tmp_path: Path) -> object:
    database = open_database(None, tmp_path)
    yield database
    database.dispose()


def test_the_sqlite_file_is_in_wal_mode_with_busy_timeout_and_foreign_keys(
    sqlite_db: Database,
) -> None:
    with sqlite_db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_second_writer_waits_for_the_first_and_readers_do_not(sqlite_db: Database) -> None:
    with sqlite_db.unit_of_work() as uow:
        campaign_version(uow.session)
        uow.commit()
    impatient = make_engine(sqlite_db.engine.url, busy_timeout_ms=200)
    try:
        with sqlite_db.unit_of_work() as writer:
            writer.session.add(Family(site_code="malakoff", ref="F1"))
            writer.session.flush()
            with UnitOfWork(impatient, read_only=True) as reader:
                count = reader.session.exec(select(func.count()).select_from(Family)).one()
                assert count == 0
            with pytest.raises(DatabaseBusy, match="locked too long"):
                UnitOfWork(impatient).__enter__()
    finally:
        impatient.dispose()


def test_foreign_keys_are_enforced(sqlite_db: Database) -> None:
    with sqlite_db.unit_of_work() as uow:
        uow.session.add(Family(site_code="nowhere", ref="F1"))
        with pytest.raises(Exception, match="FOREIGN KEY"):
            uow.commit()


@pytest.mark.slow
def test_two_processes_writing_at_once_both_succeed(sqlite_db: Database, tmp_path: Path) -> None:
    with sqlite_db.unit_of_work() as uow:
        campaign_version(uow.session)
        uow.commit()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    url = str(sqlite_db.engine.url)
    workers = [
        context.Process(target=write_families, args=(url, str(tmp_path), name, 40, barrier))
        for name in ("left", "right")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    with sqlite_db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM family")).scalar() == 80


@pytest.mark.slow
def test_two_processes_opening_a_new_sqlite_file_at_once_both_succeed(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [context.Process(target=open_only, args=(str(tmp_path), barrier)) for _ in "ab"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    database = open_database(None, tmp_path)
    try:
        with database.engine.connect() as connection:
            assert current_revision(connection) == head_revision()
    finally:
        database.dispose()
