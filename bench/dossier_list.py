"""How fast ``dacapo dossier list`` is at 100,000 dossiers. Prints figures; not a test.

    .venv/bin/python -m bench.dossier_list [--dossiers 100000] [--db URL]

Without ``--db``, a SQLite file in a temporary directory. With a PostgreSQL
URL, the tables must be empty (rows are added and left there).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from dacapo.store.database import Database, open_database, upgrade
from dacapo.store.dossier_queries import DossierFilter, count_dossiers, list_dossiers
from dacapo.store.dossier_search import find_dossiers
from dacapo.store.tables import Answer, Document, Dossier, Family, Guardian, Student
from tests.integration.ready_dossiers import CAMPAIGN, load_bundled_campaign

STATES = ("invited", "identity_verified", "documents_supplied", "confirmed")
NOW = dt.datetime(2023, 5, 15, 8, 0, tzinfo=dt.UTC)
CHUNK = 5_000


def _insert(db: Database, table: Any, rows: list[dict[str, Any]]) -> None:
    with db.engine.begin() as connection:
        for start in range(0, len(rows), CHUNK):
            connection.execute(insert(table), rows[start : start + CHUNK])


def populate(db: Database, count: int) -> None:
    """``count`` pupils, two per family, one dossier each, a quarter in each state."""
    load_bundled_campaign(db)
    families = count // 2
    _insert(
        db,
        Family,
        [
            {
                "site_code": "malakoff",
                "ref": f"F{i:06}",
                "address": "1 rue",
                "postcode": "92240",
                "city": "Malakoff",
                "created_at": NOW,
                "updated_at": NOW,
            }
            for i in range(families)
        ],
    )
    with db.engine.connect() as connection:
        family_ids = list(connection.execute(select(Family.id).order_by(Family.id)).scalars())
    _insert(
        db,
        Guardian,
        [
            {
                "family_id": f,
                "position": 1,
                "first_name": "Anne",
                "last_name": f"Nom{f}",
                "email": f"g{f}@example.org",
                "mobile": "+33612345678",
                "email_bounced": False,
            }
            for f in family_ids
        ],
    )
    _insert(
        db,
        Student,
        [
            {
                "family_id": family_ids[i // 2],
                "site_code": "malakoff",
                "ref": f"S{i:06}",
                "first_name": "Élève",
                "last_name": f"Nom{family_ids[i // 2]}",
                "birth_date": dt.date(2012, 1, 1),
                "school": "Collège",
                "school_level": "6e",
                "discipline": "musique",
                "cycle": "cycle_1",
                "status": "continuing",
            }
            for i in range(count)
        ],
    )
    with db.engine.connect() as connection:
        students = list(connection.execute(select(Student.id, Student.family_id)).all())
    _insert(
        db,
        Document,
        [
            {
                "family_id": f,
                "student_id": s,
                "kind": "id_photo",
                "status": "pending",
                "issued": dt.date(2023, 3, 1),
                "signed": False,
                "received_at": NOW,
            }
            for n, (s, f) in enumerate(students)
            if n % 3
        ],
    )
    _insert(
        db,
        Dossier,
        [
            {
                "ref": f"malakoff-2023-2024-S{n:06}",
                "campaign_id": CAMPAIGN,
                "campaign_version": 1,
                "workflow": "reenrolment",
                "window": "reenrolment",
                "student_id": s,
                "state": STATES[n % 4],
                "version": 1,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n, (s, _) in enumerate(students)
        ],
    )
    with db.engine.connect() as connection:
        dossier_ids = list(connection.execute(select(Dossier.id)).scalars())
    _insert(
        db,
        Answer,
        [
            {
                "dossier_id": d,
                "intent": True,
                "remarks": "",
                "preferences": [],
                "support_requested": False,
            }
            for d in dossier_ids
        ],
    )


def timed(label: str, work: Callable[[], object]) -> None:
    start = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - start
    size = len(result) if isinstance(result, list | tuple) else result
    print(f"{label:<58} {elapsed * 1000:9.1f} ms  ({size})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--db", default=None)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dacapo-bench-"))
    if options.db:
        upgrade(options.db, folder)
    db = open_database(options.db, folder)
    start = time.perf_counter()
    populate(db, options.dossiers)
    print(f"{db.dialect}: {options.dossiers} dossiers in {time.perf_counter() - start:.1f} s")
    invited = DossierFilter(campaign=CAMPAIGN, states=["invited"])
    with db.unit_of_work(read_only=True) as uow:
        s = uow.session
        timed(
            "list --state invited (table: first 1000 + count)",
            lambda: (list_dossiers(s, invited, limit=1000), count_dossiers(s, invited))[1],
        )
        timed("list --state invited --json (every row)", lambda: list_dossiers(s, invited))
        timed(
            "list --search nom4242 (accents folded)",
            lambda: list_dossiers(s, DossierFilter(search="nom4242")),
        )
        timed(
            "list --state invited --missing id_photo",
            lambda: find_dossiers(s, invited, missing_code="id_photo", now=NOW)[1],
        )
    db.dispose()


if __name__ == "__main__":
    main()
