"""Listing dossiers on SQLite and PostgreSQL: filters, search, ``--missing``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect
from sqlmodel import func, select

from dacapo.campaigns.schema import Role
from dacapo.engine.errors import BadInput
from dacapo.engine.services import fire
from dacapo.rules.snapshot import Actor
from dacapo.store.database import Database
from dacapo.store.dossier_queries import DossierFilter, list_dossiers
from dacapo.store.dossier_search import find_dossiers, load_snapshots
from dacapo.store.dossiers import load_snapshot
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.tables import Dossier
from tests.integration.ready_dossiers import load_bundled_campaign, seed_family

OPEN = dt.datetime(2023, 5, 15, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
STAFF = Actor(Role.STAFF, "secretariat")


@pytest.fixture
def refs(db: Database) -> list[str]:
    load_bundled_campaign(db)
    return seed_family(db)


def test_list_filters_by_campaign_state_family_and_window(db: Database, refs: list[str]) -> None:
    other = seed_family(db, "F0200", [("S0200", "Zoé")], last_name="Martin")
    with db.unit_of_work() as uow:
        fire(SqlDossierStore(uow.session), other[0], "verify_identity", STAFF, now=OPEN)
        uow.commit()
    with db.unit_of_work(read_only=True) as uow:

        def refs_of(filters: DossierFilter) -> list[str]:
            return [r.ref for r in list_dossiers(uow.session, filters)]

        assert refs_of(DossierFilter(campaign="malakoff-2023-2024", states=["invited"])) == refs
        assert refs_of(DossierFilter(states=["identity_verified"])) == other
        assert refs_of(DossierFilter(family="F0200")) == other
        assert refs_of(DossierFilter(window="new_pupils")) == []
        assert refs_of(DossierFilter(campaign="elsewhere")) == []


def test_search_ignores_case_and_accents_and_matches_every_word(
    db: Database, refs: list[str]
) -> None:
    zoe = seed_family(db, "F0200", [("S0200", "Zoé")], last_name="Martin")
    elodie = seed_family(db, "F0300", [("S0300", "ÉLODIE")], last_name="Bœuf")
    with db.unit_of_work(read_only=True) as uow:

        def found(text: str) -> list[str]:
            return [r.ref for r in list_dossiers(uow.session, DossierFilter(search=text))]

        assert found("ZOE") == zoe
        assert found("zoé martin") == zoe
        assert found("LÉA") == refs[:1]
        assert found("durand") == refs
        assert found("f0100.paul") == refs  # a guardian's email
        assert found("s0101") == refs[1:]
        assert found("elodie BOEUF") == found("Élodie") == elodie
        assert found("50%") == []


def test_a_search_that_looks_like_sql_is_only_text(db: Database, refs: list[str]) -> None:
    with db.unit_of_work(read_only=True) as uow:
        hostile = DossierFilter(search="'; DROP TABLE dossier; --")
        assert list_dossiers(uow.session, hostile) == []
        assert list_dossiers(uow.session, DossierFilter(search="' OR '1'='1")) == []
    assert "dossier" in inspect(db.engine).get_table_names()
    with db.unit_of_work(read_only=True) as uow:
        assert uow.session.exec(select(func.count()).select_from(Dossier)).one() == 2


def test_missing_filters_on_the_checklist_by_item_or_code(db: Database, refs: list[str]) -> None:
    no_photo = seed_family(db, "F0200", [("S0200", "Zoé")], without={"id_photo"})
    no_payment = seed_family(db, "F0300", [("S0300", "Noé")], without={"payment_form"})
    everyone = DossierFilter(campaign="malakoff-2023-2024")
    with db.unit_of_work(read_only=True) as uow:

        def missing(code: str) -> list[str]:
            rows, total = find_dossiers(uow.session, everyone, missing_code=code, now=OPEN)
            assert total == len(rows)
            return [r.ref for r in rows]

        assert missing("id_photo") == no_photo
        assert missing("documents.missing:id_photo") == no_photo
        assert missing("payment_form") == no_payment
        assert missing("documents.missing") == no_photo + no_payment
        assert missing("house_rules") == refs + no_photo + no_payment
        with pytest.raises(BadInput, match=r"unknown item; items: .*id_photo"):
            missing("id_foto")


def test_snapshots_loaded_in_bulk_equal_those_loaded_one_by_one(
    db: Database, refs: list[str]
) -> None:
    seed_family(db, "F0200", [("S0200", "Zoé")], without={"id_photo"})
    with db.unit_of_work(read_only=True) as uow:
        dossiers = uow.session.exec(select(Dossier)).all()
        bulk = load_snapshots(uow.session, [d.id for d in dossiers if d.id is not None])
        for dossier in dossiers:
            assert dossier.id is not None
            assert bulk[dossier.id] == load_snapshot(uow.session, dossier)
