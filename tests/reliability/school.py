"""A whole school for the crash and race tests: ``pupils`` continuing pupils imported and
the bundled campaign loaded, through the services ``dacapo family import`` and ``dacapo
campaign load`` call (set-based: 20,000 pupils in about 3 s on SQLite, 5 s on PostgreSQL).

The families are ``bench.generate.family_csv``'s: 2.5 pupils per family on average, a
second guardian with an email in three families out of four, pupils aged 5 to 17.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import cast

from sqlalchemy import Table, select
from sqlmodel import SQLModel

from dacapo.engine.imports import FamilyIn, parse_families
from dacapo.store.campaign_load import load_campaign
from dacapo.store.database import Database
from dacapo.store.family_import import import_families
from dacapo.store.tables import (
    AuditRow,
    CampaignVersion,
    Dossier,
    DueWork,
    Guardian,
    OutboxRow,
    Student,
)
from tests.reliability.campaigns import bundled

CAMPAIGN = "malakoff-2023-2024"
IMPORTED_AT = dt.datetime(2023, 4, 28, 9, 0, tzinfo=dt.UTC)
LOADED_AT = dt.datetime(2023, 5, 1, 8, 0, tzinfo=dt.UTC)


def table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


# The tables, for SQLAlchemy Core queries (typed columns: ``DOSSIER.c.ref``).
DOSSIER, STUDENT, GUARDIAN, AUDIT, OUTBOX, DUE_WORK, CAMPAIGN_VERSION = (
    table(t) for t in (Dossier, Student, Guardian, AuditRow, OutboxRow, DueWork, CampaignVersion)
)


@functools.cache
def _families(pupils: int) -> tuple[FamilyIn, ...]:
    from bench.generate import family_csv

    result = parse_families(family_csv(pupils), source="families.csv")
    assert not result.rejected_rows
    return tuple(result.families)


def import_school(db: Database, pupils: int) -> list[str]:
    """Import ``pupils`` pupils, load the campaign (one invited dossier each); their refs."""
    with db.unit_of_work() as uow:
        import_families(uow.session, "malakoff", _families(pupils), now=IMPORTED_AT)
        uow.commit()
    with db.unit_of_work() as uow:
        outcome = load_campaign(uow.session, bundled(), actor="scolarite", now=LOADED_AT)
        uow.commit()
    db.refresh_statistics()
    assert outcome.opened == pupils
    with db.unit_of_work(read_only=True) as uow:
        query = select(DOSSIER.c.ref).order_by(DOSSIER.c.id)
        return list(uow.session.execute(query).scalars())
