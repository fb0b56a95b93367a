"""``outstanding`` says what the checklist says, for every dossier, on both databases."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from dacapo.campaigns.schema import Campaign
from dacapo.rules import checklist
from dacapo.rules.findings import Status
from dacapo.rules.snapshot import Document
from dacapo.store import outstanding as module
from dacapo.store.database import Database
from dacapo.store.dossier_search import load_snapshots
from dacapo.store.outstanding import JUDGED, Lacking, outstanding, owing
from dacapo.store.tables import Dossier, Student
from tests.integration.owing_corpus import seed_corpus
from tests.integration.ready_dossiers import load_bundled_campaign

PARIS = ZoneInfo("Europe/Paris")
MAY = dt.datetime(2023, 5, 17, 10, 0, tzinfo=PARIS)
NEXT_MARCH = dt.datetime(2024, 3, 5, 10, 0, tzinfo=PARIS)  # last year's photos are too old
Verdicts = dict[int, tuple[tuple[str, ...], tuple[str, ...]]]


@pytest.fixture
def campaign(db: Database, monkeypatch: pytest.MonkeyPatch) -> Campaign:
    monkeypatch.setattr(module, "CHUNK", 16)  # several chunks, verdicts remembered across them
    loaded = load_bundled_campaign(db)
    seed_corpus(db)
    return loaded


def checklist_verdicts(
    db: Database, campaign: Campaign, now: dt.datetime, *, confirmed: bool = False
) -> Verdicts:
    """Per dossier, the document requirements its checklist finds unmet and deferred."""
    documents = campaign.requirements.documents
    with db.unit_of_work(read_only=True) as uow:
        ids = uow.session.exec(select(Dossier.id)).all()
        snapshots = load_snapshots(uow.session, [i for i in ids if i is not None])
    found: Verdicts = {}
    for dossier_id, snapshot in snapshots.items():
        workflow = campaign.workflows[snapshot.workflow]
        if snapshot.state in workflow.final and not (
            confirmed and snapshot.state == workflow.success
        ):
            continue
        whole = checklist(campaign, snapshot, now).whole
        missing = tuple(f.item for f in whole if f.status is Status.UNMET and f.item in documents)
        deferred = tuple(
            f.item for f in whole if f.status is Status.DEFERRED and f.item in documents
        )
        if missing or deferred:
            found[dossier_id] = (missing, deferred)
    return found


def by_id(found: list[Lacking]) -> Verdicts:
    return {lacking.dossier_id: (lacking.missing, lacking.deferred) for lacking in found}


def refs(db: Database, verdicts: Verdicts) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    with db.unit_of_work(read_only=True) as uow:
        names = dict(uow.session.exec(select(Dossier.id, Dossier.ref)).all())
    return {names[i].removeprefix("malakoff-2023-2024-"): v for i, v in verdicts.items()}


ALL = ("payment_form", "income_evidence", "id_photo")


def test_outstanding_agrees_with_the_checklist_for_every_dossier(
    db: Database, campaign: Campaign
) -> None:
    for now in (MAY, NEXT_MARCH):
        with db.unit_of_work(read_only=True) as uow:
            found = list(outstanding(uow.session, campaign, now=now))
        expected = checklist_verdicts(db, campaign, now)
        assert by_id(found) == expected, now
        assert [f.dossier_id for f in found] == sorted(expected)
        assert len(set(expected.values())) > 8  # the corpus really is varied
    by_ref = refs(db, checklist_verdicts(db, campaign, MAY))
    # The hand-picked families, as a secretary would read them.
    assert by_ref["F-NONE-S1"] == (ALL, ())
    assert by_ref["F-NONE-S2"] == (ALL, ("medical_certificate",))
    assert not {"F-VALID-S1", "F-VALID-S2"} & set(by_ref)
    assert by_ref["F-VALID-S3"] == ((), ("medical_certificate",))
    assert by_ref["F-WRONG-S1"] == (ALL, ("medical_certificate",))
    assert by_ref["F-FOUR-S2"] == (("payment_form", "id_photo"), ("medical_certificate",))
    assert by_ref["F-FOUR-S3"] == (("payment_form", "id_photo"), ())
    assert not {"F-FOUR-S1", "F-FOUR-S4", "F-NEW-S1"} & set(by_ref)  # final, or no documents
    assert refs(db, by_id(found))["F-VALID-S1"] == (("id_photo",), ())  # next March: too old


def test_every_lacking_dossier_is_described_as_stored(db: Database, campaign: Campaign) -> None:
    with db.unit_of_work() as uow:
        dossier = uow.session.exec(select(Dossier).where(Dossier.ref.endswith("F-NONE-S1"))).one()
        dossier.deadline = dt.date(2023, 5, 31)
        uow.commit()
    with db.unit_of_work(read_only=True) as uow:
        found = {f.dossier_id: f for f in outstanding(uow.session, campaign, now=MAY)}
        rows = uow.session.exec(
            select(Dossier, Student.family_id).join(Student, col(Student.id) == Dossier.student_id)
        ).all()
    described = {
        d.id: (d.ref, family_id, d.student_id, d.state, d.window, d.deadline)
        for d, family_id in rows
        if d.id in found
    }
    assert described == {
        i: (f.ref, f.family_id, f.student_id, f.state, f.window, f.deadline)
        for i, f in found.items()
    }
    assert any(f.deadline == dt.date(2023, 5, 31) for f in found.values())


def test_confirmed_dossiers_still_owe_their_deferred_documents(
    db: Database, campaign: Campaign
) -> None:
    with db.unit_of_work(read_only=True) as uow:
        found = by_id(list(owing(uow.session, campaign, now=MAY, confirmed=True)))
        only = by_id(list(owing(uow.session, campaign, now=MAY, only=["medical_certificate"])))
    expected = checklist_verdicts(db, campaign, MAY, confirmed=True)
    assert found == expected
    assert refs(db, found)["F-FOUR-S1"] == ((), ("medical_certificate",))  # confirmed, dancer
    open_certificates = {
        i: ((), v[1]) for i, v in checklist_verdicts(db, campaign, MAY).items() if v[1]
    }
    assert only == open_certificates


def test_a_window_or_a_list_of_ids_narrows_the_scan(db: Database, campaign: Campaign) -> None:
    expected = checklist_verdicts(db, campaign, MAY)
    some = sorted(expected)[::3]
    with db.unit_of_work(read_only=True) as uow:
        chosen = by_id(list(outstanding(uow.session, campaign, now=MAY, dossier_ids=[*some, -1])))
        in_window = by_id(list(outstanding(uow.session, campaign, now=MAY, window="reenrolment")))
        new_pupils = list(outstanding(uow.session, campaign, now=MAY, window="new_pupils"))
    assert chosen == {i: expected[i] for i in some}
    assert in_window == expected
    assert new_pupils == []  # the new-pupil workflow asks for no document


def test_documents_alike_are_judged_alike_only_on_every_field_the_rules_can_read() -> None:
    # A new field on a supplied document must join JUDGED (or be shown irrelevant):
    # dossiers share a verdict when their candidate documents agree on JUDGED.
    fields = {f.name for f in dataclasses.fields(Document)}
    assert fields == {*JUDGED, "id", "student_ref", "received_at"}
