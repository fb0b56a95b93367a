"""Worker processes for the race tests (module-level so ``spawn`` can import them)."""

from __future__ import annotations

import datetime as dt
from multiprocessing.synchronize import Barrier
from pathlib import Path

from dacapo.campaigns.schema import Role
from dacapo.engine.errors import ConcurrentUpdate
from dacapo.engine.services import fire
from dacapo.rules.snapshot import Actor
from dacapo.store.database import open_database
from dacapo.store.engine_port import SqlDossierStore

NOW = dt.datetime(2023, 5, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))


def race(url: str, data_dir: str, refs: list[str], barrier: Barrier, name: str) -> list[str]:
    """For each dossier: look at it, wait for the other worker, then act on what was seen."""
    db = open_database(url, Path(data_dir))
    actor = Actor(Role.STAFF, name)
    results = []
    try:
        for ref in refs:
            with db.unit_of_work(read_only=True) as uow:
                seen = SqlDossierStore(uow.session).dossier(ref).version
            barrier.wait(timeout=60)
            try:
                with db.unit_of_work() as uow:
                    fire(
                        SqlDossierStore(uow.session),
                        ref,
                        "verify_identity",
                        actor,
                        now=NOW,
                        expected_version=seen,
                    )
                    uow.commit()
                results.append("won")
            except ConcurrentUpdate as error:
                results.append("conflict" if "Someone else changed" in str(error) else str(error))
    finally:
        db.dispose()
    return results
