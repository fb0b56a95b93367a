"""Closing a window: what is still open lapses once, stamped with the closing instant."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlmodel import col, select

from dacapo.campaigns.schema import Campaign, Role
from dacapo.commands.campaign import read_campaign
from dacapo.engine.closing import StateCount, WindowStillOpen, plan_group
from dacapo.engine.errors import ConcurrentUpdate, NotFound
from dacapo.engine.services import SYSTEM, fire
from dacapo.rules.snapshot import Actor
from dacapo.store import closing
from dacapo.store.audit import verify_audit
from dacapo.store.corrections import extend_deadline, update_fields
from dacapo.store.database import Database
from dacapo.store.dossiers import dossier_ref
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.tables import AuditRow, Dossier, OutboxRow, Student
from tests.integration.ready_dossiers import (
    CAMPAIGN,
    CAMPAIGN_FILE,
    load_bundled_campaign,
    seed_family,
)

PARIS = dt.timezone(dt.timedelta(hours=2))
OPEN = dt.datetime(2023, 5, 15, 10, 0, tzinfo=PARIS)
CLOSES_AT = dt.datetime(2023, 5, 24, 22, 0, tzinfo=dt.UTC)  # 25 May 00:00 Paris
DAYS_LATE = dt.datetime(2023, 5, 28, 9, 0, tzinfo=PARIS)
STAFF = Actor(Role.STAFF, "secretariat")
LEA, HUGO, ZOE = (dossier_ref("malakoff", "2023/2024", s) for s in ("S0100", "S0101", "S0200"))


def _fire(db: Database, ref: str, event: str, *, now: dt.datetime = OPEN, **kw: Any) -> None:
    with db.unit_of_work() as uow:
        fire(SqlDossierStore(uow.session), ref, event, STAFF, now=now, **kw)
        uow.commit()


def _close(db: Database, **kw: Any) -> closing.CloseOutcome:
    return closing.close_window(db, CAMPAIGN, "reenrolment", now=DAYS_LATE, **kw)


def _dossiers(db: Database) -> dict[str, tuple[str, int]]:
    with db.unit_of_work(read_only=True) as uow:
        return {d.ref: (d.state, d.version) for d in uow.session.exec(select(Dossier))}


def _lapses(db: Database) -> list[tuple[str, str, str, dt.datetime]]:
    """Every lapse audit row: (dossier, from state, actor, effective_at)."""
    with db.unit_of_work(read_only=True) as uow:
        rows = uow.session.exec(
            select(Dossier.ref, AuditRow.from_state, AuditRow.actor, AuditRow.effective_at)
            .join(Dossier, col(Dossier.id) == AuditRow.dossier_id)
            .where(AuditRow.event == "lapse")
            .order_by(col(Dossier.ref))
        ).all()
        return [tuple(row) for row in rows]  # type: ignore[misc]


def _notices(db: Database) -> list[tuple[str, str, dict[str, Any]]]:
    with db.unit_of_work(read_only=True) as uow:
        rows = uow.session.exec(select(OutboxRow).order_by(col(OutboxRow.idempotency_key))).all()
        return [(r.idempotency_key, r.template, r.context) for r in rows]


def _audit_intact(db: Database) -> bool:
    with db.unit_of_work(read_only=True) as uow:
        return verify_audit(uow.session) is None


@pytest.fixture
def malakoff(db: Database) -> Database:
    """Léa and Hugo (family F0100), Zoé (F0200): three invited re-enrolment dossiers."""
    load_bundled_campaign(db)
    seed_family(db)
    seed_family(db, "F0200", [("S0200", "Zoé")], last_name="Martin")
    return db


def test_closing_lapses_only_the_open_dossiers_of_the_window_stamped_with_its_end(
    malakoff: Database,
) -> None:
    db = malakoff
    for event in ("verify_identity", "supply_documents", "accept_rules"):
        _fire(db, LEA, event)  # confirmed automatically
    _fire(db, HUGO, "verify_identity")
    wish = _new_pupil_dossier(db)
    before = _dossiers(db)
    outcome = _close(db)
    after = _dossiers(db)
    assert after[LEA] == before[LEA] == ("confirmed", 5)
    assert after[HUGO] == ("lapsed", before[HUGO][1] + 1)
    assert after[ZOE] == ("lapsed", before[ZOE][1] + 1)
    assert after[wish] == before[wish]  # another window: untouched
    assert _lapses(db) == [(HUGO, "identity_verified", "dacapo", CLOSES_AT),
                           (ZOE, "invited", "dacapo", CLOSES_AT)]  # fmt: skip
    assert (outcome.lapsed, outcome.notices, outcome.chunks) == (2, 4, 1)
    assert outcome.states == [
        StateCount("reenrolment", "identity_verified", 1, "lapsed"),
        StateCount("reenrolment", "invited", 1, "lapsed"),
    ]
    assert outcome.closes_at == CLOSES_AT
    assert _audit_intact(db)


def test_lapse_notices_are_the_ones_fire_queues_with_an_adult_pupils_own_address(
    malakoff: Database,
) -> None:
    db = malakoff
    with db.unit_of_work() as uow:  # Zoé is 19 on 1 September 2023 and has her own email
        uow.session.execute(
            update(Student)
            .where(col(Student.ref) == "S0200")
            .values(birth_date=dt.date(2004, 1, 2), email="zoe.martin@example.org")
        )
        uow.commit()
    expected = []
    for ref in (LEA, HUGO, ZOE):  # what fire queues for each lapse at the closing instant
        with db.unit_of_work() as uow:
            fire(SqlDossierStore(uow.session), ref, "lapse", SYSTEM, now=CLOSES_AT)
            expected += [(r.idempotency_key, r.template, r.context)
                         for r in uow.session.exec(select(OutboxRow))]  # fmt: skip
            uow.rollback()
    assert _notices(db) == []
    _close(db)
    assert _notices(db) == sorted(expected)
    assert [key for key, _, _ in _notices(db) if ZOE in key] == [
        f"lapse:{ZOE}:v1:email:f0200.anne@example.org",
        f"lapse:{ZOE}:v1:email:f0200.paul@example.org",
        f"lapse:{ZOE}:v1:email:zoe.martin@example.org",
    ]
    assert _notices(db)[0][2] == {
        "dossier": LEA,
        "event": "lapse",
        "reason": None,
        "effective_at": "2023-05-24T22:00:00+00:00",
    }


def test_an_extended_dossier_is_kept_then_lapses_at_the_end_of_its_own_deadline(
    malakoff: Database,
) -> None:
    db = malakoff
    with db.unit_of_work() as uow:
        extend_deadline(
            uow.session, ZOE, dt.date(2023, 5, 31), actor=STAFF, now=OPEN, reason="Hospitalisée"
        )
        uow.commit()
    own_end = dt.datetime(2023, 5, 31, 22, 0, tzinfo=dt.UTC)
    later = dt.datetime(2023, 6, 3, 8, 0, tzinfo=PARIS)
    waits = closing.lapse_expired_extensions(db, CAMPAIGN, now=later)
    assert (waits.lapsed, waits.waiting) == (0, ["reenrolment"])  # the window is not closed yet

    outcome = _close(db)
    assert (outcome.lapsed, outcome.kept_with_extension) == (2, 1)
    assert [(e.deadline, e.lapses_at, e.count) for e in outcome.extensions] == [
        (dt.date(2023, 5, 31), own_end, 1)
    ]
    assert _dossiers(db)[ZOE][0] == "invited"
    assert closing.lapse_expired_extensions(db, CAMPAIGN, now=DAYS_LATE).lapsed == 0  # not yet

    lapsed = closing.lapse_expired_extensions(db, CAMPAIGN, now=later)
    assert (lapsed.lapsed, lapsed.notices, lapsed.waiting) == (1, 2, [])
    assert [(d.deadline, d.lapses_at) for d in lapsed.deadlines] == [
        (dt.date(2023, 5, 31), own_end)
    ]
    assert _lapses(db)[-1] == (ZOE, "invited", "dacapo", own_end)
    assert closing.lapse_expired_extensions(db, CAMPAIGN, now=later).lapsed == 0
    assert _audit_intact(db)


def test_a_second_close_does_nothing_even_for_a_dossier_staff_reopened(
    malakoff: Database,
) -> None:
    db = malakoff
    assert _close(db).lapsed == 3
    _fire(db, HUGO, "reopen", now=DAYS_LATE, reason="Dossier papier déposé le 24 mai")
    again = _close(db)
    assert (again.lapsed, again.notices, again.chunks) == (0, 0, 0)
    assert _dossiers(db)[HUGO][0] == "invited"
    assert Counter(ref for ref, *_ in _lapses(db)) == {LEA: 1, HUGO: 1, ZOE: 1}
    assert len(_notices(db)) == 6
    assert _audit_intact(db)


def test_a_dry_run_counts_what_the_close_then_does_and_writes_nothing(
    malakoff: Database,
) -> None:
    db = malakoff
    before = _dossiers(db)
    dry = _close(db, dry_run=True, chunk=2)
    assert _dossiers(db) == before
    assert (_lapses(db), _notices(db)) == ([], [])
    real = _close(db, chunk=2)
    assert (dry.lapsed, dry.notices, dry.chunks, dry.states) == (
        real.lapsed, real.notices, real.chunks, real.states
    )  # fmt: skip
    assert (real.lapsed, real.chunks) == (3, 2)


def test_a_crash_in_a_chunk_keeps_the_chunks_before_it_and_the_rerun_finishes_once(
    malakoff: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = malakoff
    real_add = closing.queue_outbox_rows
    calls = []

    def crash_on_second_chunk(session: Any, rows: Any) -> int:
        calls.append(1)
        if len(calls) == 2:  # after the chunk's UPDATE and audit rows, before its commit
            raise RuntimeError("killed")
        return real_add(session, rows)

    monkeypatch.setattr(closing, "queue_outbox_rows", crash_on_second_chunk)
    with pytest.raises(RuntimeError, match="killed"):
        _close(db, chunk=1)
    states = _dossiers(db)
    assert [states[ref][0] for ref in (LEA, HUGO, ZOE)] == ["lapsed", "invited", "invited"]
    assert [ref for ref, *_ in _lapses(db)] == [LEA]
    assert {key.split(":")[1] for key, _, _ in _notices(db)} == {LEA}

    monkeypatch.setattr(closing, "queue_outbox_rows", real_add)
    rerun = _close(db, chunk=1)
    assert (rerun.lapsed, rerun.chunks) == (2, 2)
    assert Counter(ref for ref, *_ in _lapses(db)) == {LEA: 1, HUGO: 1, ZOE: 1}
    assert Counter(key.split(":")[1] for key, _, _ in _notices(db)) == {LEA: 2, HUGO: 2, ZOE: 2}
    assert _audit_intact(db)


def test_a_staff_change_in_flight_when_the_close_starts_is_respected(
    malakoff: Database,
) -> None:
    """The close waits for the staff transaction (row lock, or SQLite's write lock)."""
    db = malakoff
    started = threading.Event()

    def staff_withdraws_hugo() -> None:
        with db.unit_of_work() as uow:
            fire(SqlDossierStore(uow.session), HUGO, "withdraw", STAFF, now=OPEN)
            started.set()
            time.sleep(0.5)
            uow.commit()

    outcome = _run_beside(staff_withdraws_hugo, started, lambda: _close(db))
    assert _dossiers(db)[HUGO][0] == "withdrawn"
    assert outcome.lapsed == 2
    assert [ref for ref, *_ in _lapses(db)] == [LEA, ZOE]
    assert _audit_intact(db)


def test_a_change_prepared_before_the_close_is_refused_with_concurrent_update(
    malakoff: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staff looked at Hugo's dossier, then act while the close is writing it."""
    db = malakoff
    seen = _dossiers(db)[HUGO][1]
    refused: list[BaseException] = []
    real_add = closing.queue_outbox_rows

    def staff_acts_on_what_they_saw() -> None:
        try:
            _fire(db, HUGO, "verify_identity", expected_version=seen)
        except ConcurrentUpdate as error:
            refused.append(error)

    def meanwhile(session: Any, rows: Any) -> int:
        staff = threading.Thread(target=staff_acts_on_what_they_saw)
        staff.start()
        time.sleep(0.3)  # the staff transaction now waits for the close's locks
        added = real_add(session, rows)
        threads.append(staff)
        return added

    threads: list[threading.Thread] = []
    monkeypatch.setattr(closing, "queue_outbox_rows", meanwhile)
    outcome = _close(db)
    for thread in threads:
        thread.join(timeout=30)
    assert outcome.lapsed == 3
    assert len(refused) == 1
    assert _dossiers(db)[HUGO] == ("lapsed", seen + 1)
    assert _audit_intact(db)


def test_a_family_correction_in_flight_during_the_close_neither_deadlocks_nor_is_lost(
    malakoff: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staff correct Hugo's family while the close holds his dossier: the correction has
    locked the family row and waits for the dossier; the close's notices refer to that
    family. Both must go on: the close first, then the correction is refused as stale."""
    db = malakoff
    if db.dialect != "postgresql":
        pytest.skip("SQLite writers never overlap: BEGIN IMMEDIATE makes the second one wait")
    seen = _dossiers(db)[HUGO][1]
    refused: list[BaseException] = []
    real_add = closing.queue_outbox_rows

    def staff_correct_the_address() -> None:
        try:
            with db.unit_of_work() as uow:
                # Were there a deadlock, PostgreSQL would now abort the close (the first
                # to notice it), as it once did in the race test, not this correction.
                uow.session.execute(text("SET LOCAL deadlock_timeout = '10s'"))
                update_fields(uow.session, HUGO, ["family.address=3 rue de la Gare"],
                              actor=STAFF, now=DAYS_LATE, reason="Déménagement signalé",
                              expected_version=seen)  # fmt: skip
                uow.commit()
        except ConcurrentUpdate as error:
            refused.append(error)

    def meanwhile(session: Any, rows: Any) -> int:
        staff = threading.Thread(target=staff_correct_the_address)
        staff.start()
        threads.append(staff)
        time.sleep(0.5)  # the correction holds the family row and waits for the dossier
        return real_add(session, rows)

    threads: list[threading.Thread] = []
    monkeypatch.setattr(closing, "queue_outbox_rows", meanwhile)
    outcome = _close(db, chunk=10)
    for thread in threads:
        thread.join(timeout=30)
    assert outcome.lapsed == 3
    assert [str(error) for error in refused] == [
        f"Someone else changed dossier {HUGO} first; reload and try again"
    ]
    assert _dossiers(db)[HUGO] == ("lapsed", seen + 1)
    assert _audit_intact(db)


def test_a_window_whose_workflow_has_no_lapse_event_lapses_nothing_and_says_why(
    malakoff: Database,
) -> None:
    db = malakoff
    wish = _new_pupil_dossier(db)
    after_june = dt.datetime(2023, 7, 1, 9, 0, tzinfo=PARIS)
    outcome = closing.close_window(db, CAMPAIGN, "new_pupils", now=after_june)
    assert outcome.lapsed == 0
    assert outcome.left == [
        StateCount("new_pupil", "wish_registered", 1, why="workflow new_pupil has no lapse event")
    ]
    assert _dossiers(db)[wish][0] == "wish_registered"


def test_closing_before_the_end_or_an_unknown_window_is_refused_and_writes_nothing(
    malakoff: Database,
) -> None:
    db = malakoff
    just_before = CLOSES_AT - dt.timedelta(microseconds=1)
    with pytest.raises(WindowStillOpen, match=r"2023-05-25 00:00:00 Europe/Paris = 2023-05-24 22"):
        closing.close_window(db, CAMPAIGN, "reenrolment", now=just_before)
    with pytest.raises(NotFound, match="its windows: reenrolment, new_pupils"):
        closing.close_window(db, CAMPAIGN, "summer", now=DAYS_LATE)
    with pytest.raises(NotFound, match=f"loaded campaigns: {CAMPAIGN}"):
        closing.close_window(db, "malakoff-2022-2023", "reenrolment", now=DAYS_LATE)
    assert {state for state, _ in _dossiers(db).values()} == {"invited"}
    assert _lapses(db) == []


def test_the_plan_lapses_each_open_state_and_says_why_it_leaves_a_group() -> None:
    """Pure planning, no database: the machine and the guards decide per group."""
    campaign = read_campaign(CAMPAIGN_FILE).campaign

    def plan(c: Campaign, version: int, state: str) -> tuple[str | None, str]:
        p = plan_group(c, version, "reenrolment", state, window="reenrolment", at=CLOSES_AT)
        return p.to_state, p.why

    assert plan(campaign, 1, "documents_supplied") == ("lapsed", "")
    assert plan(campaign, 1, "confirmed") == (None, "final state")
    # Versions of our own: machines are cached per campaign version.
    staff_only = _with_lapse(campaign, by=[Role.STAFF])
    assert plan(staff_only, 901, "invited") == (
        None,
        "Action « lapse » réservée à : personnel",
    )
    from_invited = _with_lapse(campaign, from_=["invited"])
    assert plan(from_invited, 902, "invited") == ("lapsed", "")
    assert plan(from_invited, 902, "rules_accepted") == (
        None,
        "lapse is not allowed from rules_accepted",
    )
    guarded = _with_lapse(campaign, guards=["actor_allowed", "documents_present"])
    assert plan(guarded, 903, "invited") == (
        None,
        "lapse checks each dossier (documents_present): lapse them one by one",
    )


def _with_lapse(campaign: Campaign, **changes: Any) -> Campaign:
    workflow = campaign.workflows["reenrolment"]
    transitions = [
        t.model_copy(update=changes) if t.event == "lapse" else t for t in workflow.transitions
    ]
    workflows = {**campaign.workflows, "reenrolment": workflow.model_copy(
        update={"transitions": transitions})}  # fmt: skip
    return campaign.model_copy(update={"workflows": workflows})


def _run_beside(
    other: Callable[[], None], started: threading.Event, main: Callable[[], Any]
) -> Any:
    thread = threading.Thread(target=other)
    thread.start()
    assert started.wait(timeout=30)
    try:
        return main()
    finally:
        thread.join(timeout=30)


def _new_pupil_dossier(db: Database) -> str:
    """A new pupil of family F0200 with wishes registered (window new_pupils)."""
    with db.unit_of_work() as uow:
        zoe = uow.session.exec(select(Student).where(Student.ref == "S0200")).one()
        pupil = Student(family_id=zoe.family_id, site_code="malakoff", ref="S0900",
                        first_name="Inès", last_name="Martin", status="new")  # fmt: skip
        uow.session.add(pupil)
        uow.session.flush()
        assert pupil.id is not None
        ref = dossier_ref("malakoff", "2023/2024", "S0900")
        uow.session.add(Dossier(ref=ref, campaign_id=CAMPAIGN, campaign_version=1,
                                workflow="new_pupil", window="new_pupils", student_id=pupil.id,
                                state="wish_registered"))  # fmt: skip
        uow.commit()
    return ref
