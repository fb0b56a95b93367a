"""Code run in child processes (importable under the ``spawn`` start method)."""

from __future__ import annotations

from multiprocessing.synchronize import Barrier
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from dacapo.store.database import open_database
from dacapo.store.tables import Family


def write_families(url: str, data_dir: str, name: str, count: int, barrier: Barrier) -> None:
    """Read then write in each transaction: the pattern that deadlocks without BEGIN IMMEDIATE."""
    database = open_database(url, Path(data_dir))
    try:
        barrier.wait(timeout=60)
        for i in range(count):
            with database.unit_of_work() as uow:
                seen = uow.session.exec(select(func.count()).select_from(Family)).one()
                uow.session.add(Family(site_code="malakoff", ref=f"{name}-{i}", city=str(seen)))
                uow.commit()
    finally:
        database.dispose()


def open_only(data_dir: str, barrier: Barrier) -> None:
    """Open (and so create and migrate) the default SQLite file."""
    barrier.wait(timeout=60)
    open_database(None, Path(data_dir)).dispose()
