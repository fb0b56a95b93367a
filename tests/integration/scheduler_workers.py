"""A scheduler process for the race tests (module-level so ``spawn`` can import it)."""

from __future__ import annotations

import datetime as dt
from multiprocessing.synchronize import Barrier
from pathlib import Path

from dacapo.scheduler.jobs import run_due_work
from dacapo.store.database import open_database
from dacapo.store.leadership import Leadership


def rounds(
    url: str, data_dir: str, instants: list[dt.datetime], barrier: Barrier, name: str
) -> int:
    """At each instant, wait for the other scheduler, then both try a round; returns items done."""
    db = open_database(url, Path(data_dir))
    leadership = Leadership(db, name)
    done = 0
    try:
        for now in instants:
            barrier.wait(timeout=120)
            if leadership.acquire():
                outcome = run_due_work(db, now=now, worker=name)
                done += outcome.count("done") + outcome.count("skipped")
                leadership.record_tick(now)
                leadership.release()
    finally:
        db.dispose()
    return done
