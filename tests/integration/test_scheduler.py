"""The scheduler's promises: down across a closing, two at once, a reload mid-way, DST.

Families come from ``ready_dossiers.seed_family`` (complete ones walk to « confirmed »,
incomplete ones owe documents); rounds are ``scheduler.jobs.run_due_work`` at virtual
instants, exactly what ``dacapo scheduler tick --now`` does.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sqlalchemy import select

from dacapo.campaigns.schema import Role
from dacapo.commands.campaign import read_campaign
from dacapo.engine.services import fire
from dacapo.rules.snapshot import Actor
from dacapo.scheduler.jobs import run_due_work
from dacapo.store.audit import verify_audit
from dacapo.store.campaign_load import load_campaign
from dacapo.store.database import Database
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.schedule import due_items, sync_due_work
from dacapo.store.tables import AuditRow, Dossier, OutboxRow
from tests.integration.ready_dossiers import CAMPAIGN_FILE, load_bundled_campaign, seed_family
from tests.integration.scheduler_workers import rounds

UTC = dt.UTC
PARIS = dt.timezone(dt.timedelta(hours=2))  # CEST, all of May and June 2023
CLOSING = dt.datetime(2023, 5, 24, 22, 0, tzinfo=UTC)  # the first instant after 24 May, Paris
STAFF = Actor(Role.STAFF, "scolarite")


def paris(day: int, hour: int, minute: int = 0, month: int = 5) -> dt.datetime:
    return dt.datetime(2023, month, day, hour, minute, tzinfo=PARIS)


def setup(db: Database) -> dict[str, list[str]]:
    """Version 1 planned; a family done, one owing its photos, one owing everything."""
    campaign = load_bundled_campaign(db)
    with db.unit_of_work() as uow:
        sync_due_work(uow.session, campaign, 1)
        uow.commit()
    families = {
        "done": seed_family(db, "F1", (("S11", "Léa"), ("S12", "Hugo")), last_name="Martin"),
        "photos": seed_family(
            db, "F2", (("S21", "Zoé"),), without={"id_photo"}, last_name="Diallo"
        ),
        "nothing": seed_family(
            db,
            "F3",
            (("S31", "Inès"), ("S32", "Noé")),
            without={"payment_form", "income_evidence", "id_photo"},
            last_name="Lefèvre-Durand",
        ),
    }
    for ref in families["done"]:
        for event in ("verify_identity", "supply_documents", "accept_rules"):
            with db.unit_of_work() as uow:
                fire(SqlDossierStore(uow.session), ref, event, STAFF, now=paris(10, 7))
                uow.commit()
    return families


def tick(db: Database, now: dt.datetime, worker: str = "scheduler") -> dict[str, str]:
    outcome = run_due_work(db, now=now, worker=worker)
    return {d.item.key: d.status for d in outcome.done}


def lapses(db: Database) -> list[tuple[str, dt.datetime]]:
    with db.unit_of_work(read_only=True) as uow:
        rows = uow.session.execute(
            select(Dossier.ref, AuditRow.effective_at)
            .join(AuditRow, AuditRow.dossier_id == Dossier.id)
            .where(AuditRow.event == "lapse")
            .order_by(Dossier.ref)
        ).all()
    return [(ref, at) for ref, at in rows]


def outbox_keys(db: Database, prefix: str) -> list[str]:
    with db.unit_of_work(read_only=True) as uow:
        keys = uow.session.execute(
            select(OutboxRow.idempotency_key).where(OutboxRow.idempotency_key.startswith(prefix))
        ).scalars()
        return sorted(keys)


def statuses(db: Database) -> dict[str, str]:
    with db.unit_of_work(read_only=True) as uow:
        return {i.key: i.status for i in due_items(uow.session, statuses=None)}


def test_down_across_the_closing_closes_once_at_the_closing_instant_and_sends_nothing_late(
    db: Database,
) -> None:
    families = setup(db)
    assert tick(db, paris(10, 8)) == {"open:reenrolment": "done"}
    assert tick(db, paris(17, 10, 5)) == {"reminder:one_week_left": "done"}
    assert tick(db, paris(21, 18, 1)) == {"reminder:documents_missing": "done"}
    assert tick(db, paris(23, 20)) == {}  # the evening before; then down for two days
    back = paris(26, 9, 30)
    assert tick(db, back) == {"reminder:last_day": "skipped", "close:reenrolment": "done"}
    assert tick(db, back + dt.timedelta(minutes=5)) == {}  # closes once
    assert tick(db, paris(27, 9)) == {}
    open_refs = sorted(families["photos"] + families["nothing"])
    assert lapses(db) == [(ref, CLOSING) for ref in open_refs]
    assert outbox_keys(db, "reminder:malakoff-2023-2024:last_day") == []
    with db.unit_of_work(read_only=True) as uow:
        skipped = due_items(uow.session, statuses=("skipped",))
        assert [i.key for i in skipped] == ["reminder:last_day"]
        assert "not sent late" in (skipped[0].outcome or "")
        states = dict(uow.session.execute(select(Dossier.ref, Dossier.state)).all())
        assert verify_audit(uow.session) is None
    assert {states[r] for r in families["done"]} == {"confirmed"}
    assert {states[r] for r in open_refs} == {"lapsed"}


def test_reminders_go_to_families_still_owing_one_message_each(db: Database) -> None:
    setup(db)
    tick(db, paris(10, 8))
    tick(db, paris(21, 18, 1))  # documents_missing (17 May's one_week_left skipped: too late)
    keys = outbox_keys(db, "reminder:malakoff-2023-2024:documents_missing")
    # F2 owes photos, F3 everything: one email per guardian, an SMS to Anne's mobile; F1 is done
    families = Counter(key.split(":")[4] for key in keys)
    assert len(families) == 2
    assert sorted(Counter(key.split(":")[5] for key in keys).items()) == [("email", 4), ("sms", 2)]
    assert statuses(db)["reminder:one_week_left"] == "skipped"


def test_a_reload_moving_the_closing_moves_the_close_and_reminders_but_resends_nothing(
    db: Database, tmp_path: Path
) -> None:
    families = setup(db)
    tick(db, paris(10, 8))
    tick(db, paris(17, 10, 5))
    sent = outbox_keys(db, "reminder:malakoff-2023-2024:one_week_left")
    assert sent
    text = CAMPAIGN_FILE.read_text(encoding="utf-8").replace(
        "closes: 2023-05-24", "closes: 2023-05-31"
    )
    moved = tmp_path / "campaign.yaml"
    moved.write_text(text, encoding="utf-8")
    with db.unit_of_work() as uow:
        load_campaign(uow.session, read_campaign(moved), actor="test", now=paris(18, 9))
        uow.commit()
    assert tick(db, paris(21, 18, 1)) == {}  # documents_missing moved to 28 May
    assert tick(db, paris(24, 9, 1)) == {}  # the old last day
    assert tick(db, paris(25, 0, 30)) == {}  # the old closing
    assert tick(db, paris(28, 18, 1)) == {"reminder:documents_missing": "done"}
    assert tick(db, paris(31, 9, 1)) == {"reminder:last_day": "done"}
    assert tick(db, paris(1, 0, 1, month=6)) == {"close:reenrolment": "done"}
    assert outbox_keys(db, "reminder:malakoff-2023-2024:one_week_left") == sent  # not resent
    new_closing = dt.datetime(2023, 5, 31, 22, 0, tzinfo=UTC)
    open_refs = sorted(families["photos"] + families["nothing"])
    assert lapses(db) == [(ref, new_closing) for ref in open_refs]


def test_a_reminder_on_the_october_time_change_night_fires_once(
    db: Database, tmp_path: Path
) -> None:
    """29 October 2023, 03:00 CEST becomes 02:00 CET; a reminder at 03:00 that night."""
    text = CAMPAIGN_FILE.read_text(encoding="utf-8")
    for old, new in [
        ("opens: 2023-05-10", "opens: 2023-10-16"),
        ("closes: 2023-05-24", "closes: 2023-11-05"),
        ("opens: 2023-06-05", "opens: 2023-11-13"),
        ("closes: 2023-06-30", "closes: 2023-11-30"),
        ("due: 2023-09-30", "due: 2023-12-20"),
        ("chase_on: 2023-09-11", "chase_on: 2023-12-11"),
        ('days_before_close: 7\n    at: "10:00"', 'days_before_close: 7\n    at: "03:00"'),
    ]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    autumn = tmp_path / "campaign.yaml"
    autumn.write_text(text, encoding="utf-8")
    with db.unit_of_work() as uow:
        load_campaign(uow.session, read_campaign(autumn), actor="test", now=paris(1, 9, month=10))
        uow.commit()
    seed_family(db, "F9", (("S91", "Maël"),), without={"id_photo"})
    start = dt.datetime(2023, 10, 28, 22, 0, tzinfo=UTC)  # 00:00 CEST
    done: Counter[str] = Counter()
    for step in range(0, 6 * 60, 10):  # every 10 minutes until 05:00 CET
        for key, status in tick(db, start + dt.timedelta(minutes=step)).items():
            done[f"{key}:{status}"] += 1
    assert done == Counter({"open:reenrolment:done": 1, "reminder:one_week_left:done": 1})
    with db.unit_of_work(read_only=True) as uow:
        (item,) = [i for i in due_items(uow.session, statuses=("done",)) if i.kind == "reminder"]
    assert item.due_at == dt.datetime(2023, 10, 29, 2, 0, tzinfo=UTC)  # 03:00 CET
    assert len(outbox_keys(db, "reminder:malakoff-2023-2024:one_week_left")) == 2  # Anne, Paul


def test_two_schedulers_through_a_whole_campaign_do_everything_exactly_once(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    families = setup(db)
    with db.unit_of_work(read_only=True) as uow:
        planned = sorted({i.due_at for i in due_items(uow.session)})
    # every due instant, plus a round each morning, from the day before opening to July
    days = [paris(9, 8) + dt.timedelta(days=n) for n in range(55)]
    instants = sorted({*planned, *days})
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(2, mp_context=context) as pool:
        barrier = manager.Barrier(2)
        futures = [
            pool.submit(rounds, database_url, str(tmp_path), instants, barrier, name)
            for name in ("first", "second")
        ]
        done = [f.result(timeout=240) for f in futures]
    with db.unit_of_work(read_only=True) as uow:
        items = due_items(uow.session, statuses=None)
        assert verify_audit(uow.session) is None
    assert sum(done) == len(items)  # each item done (or skipped) by one of them, once
    assert {i.status for i in items} <= {"done", "skipped"}
    open_refs = sorted(families["photos"] + families["nothing"])
    assert lapses(db) == [(ref, CLOSING) for ref in open_refs]
    reminders = outbox_keys(db, "reminder:")
    assert len(reminders) == len(set(reminders))
    assert {k.split(":")[2] for k in reminders} == {
        "one_week_left",
        "documents_missing",
        "last_day",
    }
