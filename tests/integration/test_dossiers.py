"""Dossiers and what hangs from them, read back as written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import StatementError

from dacapo.campaigns.loader import load_campaign
from dacapo.engine.errors import ConcurrentUpdate, DossierNotFound
from dacapo.rules.snapshot import DocumentStatus
from dacapo.store.campaign_versions import campaign_of, get_campaign_version, save_campaign_version
from dacapo.store.database import Database
from dacapo.store.dossiers import get_dossier, load_snapshot
from dacapo.store.tables import Document, Family, Student
from dacapo.store.unit_of_work import UnitOfWork
from tests.integration.factories import NOW, seed_dossier

PARIS = ZoneInfo("Europe/Paris")
CAMPAIGN_FILE = Path(__file__).parents[2] / "campaign-2023-2024.yaml"


def test_a_dossier_round_trips_with_aware_utc_datetimes(db: Database) -> None:
    seeded = seed_dossier(db)
    evening = dt.datetime(2023, 5, 24, 23, 59, 59, 123456, tzinfo=PARIS)
    with db.unit_of_work() as uow:
        dossier = get_dossier(uow.session, seeded.dossier_ref)
        dossier.updated_at = evening
        dossier.deadline = dt.date(2023, 5, 31)
        uow.commit()
    with db.unit_of_work(read_only=True) as uow:
        dossier = get_dossier(uow.session, seeded.dossier_ref)
    assert dossier.created_at == NOW
    assert dossier.created_at.tzinfo is dt.UTC
    assert dossier.updated_at == evening
    assert dossier.updated_at.tzinfo is dt.UTC
    assert dossier.updated_at.isoformat() == "2023-05-24T21:59:59.123456+00:00"
    assert dossier.deadline == dt.date(2023, 5, 31)
    assert (dossier.state, dossier.version) == ("invited", 2)


def test_a_naive_datetime_is_refused(db: Database) -> None:
    seeded = seed_dossier(db)
    with db.unit_of_work() as uow:
        dossier = get_dossier(uow.session, seeded.dossier_ref)
        dossier.updated_at = dt.datetime(2023, 5, 24, 12, 0)
        with pytest.raises(StatementError, match="naive datetime"):
            uow.session.flush()


def test_an_unknown_dossier_ref_raises_dossier_not_found(uow: UnitOfWork) -> None:
    with pytest.raises(DossierNotFound, match="malakoff-2023-2024-S9999"):
        get_dossier(uow.session, "malakoff-2023-2024-S9999")


def test_a_stale_expected_version_raises_concurrent_update(db: Database) -> None:
    seeded = seed_dossier(db)
    with db.unit_of_work() as uow:
        assert get_dossier(uow.session, seeded.dossier_ref, expected_version=1)
        with pytest.raises(ConcurrentUpdate, match=seeded.dossier_ref):
            get_dossier(uow.session, seeded.dossier_ref, expected_version=0)


def test_the_snapshot_holds_the_family_guardians_student_documents_and_answers(
    db: Database,
) -> None:
    seeded = seed_dossier(db)
    with db.unit_of_work() as uow:  # a sibling's photo must not show in this dossier
        sibling = Student(family_id=seeded.family_id, site_code="malakoff", ref="S0043")
        uow.session.add(sibling)
        uow.session.flush()
        uow.session.add(
            Document(family_id=seeded.family_id, student_id=sibling.id, kind="id_photo")
        )
        uow.commit()
    with db.unit_of_work(read_only=True) as uow:
        snapshot = load_snapshot(uow.session, get_dossier(uow.session, seeded.dossier_ref))
    assert snapshot.ref == "malakoff-2023-2024-S0042"
    assert (snapshot.workflow, snapshot.window, snapshot.state) == (
        "reenrolment",
        "reenrolment",
        "invited",
    )
    assert (snapshot.family.ref, snapshot.family.city) == ("F0042", "Malakoff")
    assert [g.ref for g in snapshot.family.guardians] == ["F0042/1", "F0042/2"]
    assert snapshot.family.guardians[0].mobile == "+33612345678"
    assert snapshot.student.display_name == "Léa Durand"
    assert snapshot.student.birth_date == dt.date(2012, 3, 4)
    assert [(d.kind, d.student_ref, d.status) for d in snapshot.documents] == [
        ("quotient_card", None, DocumentStatus.ACCEPTED),
        ("id_photo", "S0042", DocumentStatus.PENDING),
    ]
    assert snapshot.documents[0].valid_until == dt.date(2023, 12, 31)
    assert snapshot.documents[0].received_at == NOW
    assert snapshot.answers.intent is True
    assert snapshot.answers.preferences == ("piano", "violon")


def test_family_refs_are_unique_within_a_site(db: Database) -> None:
    seed_dossier(db)
    with db.unit_of_work() as uow:
        uow.session.add(Family(site_code="malakoff", ref="F0042"))
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
            uow.commit()


def test_a_campaign_version_stores_the_bundled_campaign_and_reads_it_back(db: Database) -> None:
    loaded = load_campaign(CAMPAIGN_FILE)
    with db.unit_of_work() as uow:
        row, created = save_campaign_version(
            uow.session,
            loaded.campaign,
            source_text=loaded.text,
            sha256=loaded.sha256,
            loaded_by="secretariat",
            loaded_at=NOW,
        )
        uow.commit()
    assert (created, row.version) == (True, 1)
    with db.unit_of_work() as uow:
        again, created = save_campaign_version(
            uow.session,
            loaded.campaign,
            source_text=loaded.text,
            sha256=loaded.sha256,
            loaded_by="secretariat",
            loaded_at=NOW,
        )
        assert (created, again.version) == (False, 1)
        stored = get_campaign_version(uow.session, loaded.campaign.id)
        assert stored is not None
        assert stored.source_text == loaded.text
        assert campaign_of(stored) == loaded.campaign
