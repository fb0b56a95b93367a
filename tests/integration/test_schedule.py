"""The scheduler's due work in the database: planned on load, moved on reload, claimed once;
and the leadership: one scheduler at a time, the next taking over when it dies."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from dacapo.commands.campaign import read_campaign
from dacapo.store.campaign_load import load_campaign
from dacapo.store.database import Database, open_database
from dacapo.store.leadership import Leadership, leader
from dacapo.store.schedule import claim, due_items, due_now, finish, release

CAMPAIGN_FILE = Path(__file__).parents[2] / "campaign-2023-2024.yaml"
CAMPAIGN = "malakoff-2023-2024"
UTC = dt.UTC
LOADED = dt.datetime(2023, 5, 1, 8, 0, tzinfo=UTC)


def load(db: Database, path: Path = CAMPAIGN_FILE, now: dt.datetime = LOADED) -> None:
    with db.unit_of_work() as uow:
        load_campaign(uow.session, read_campaign(path), actor="test", now=now)
        uow.commit()


def moved_close(tmp_path: Path) -> Path:
    """The bundled campaign with the re-enrolment window closing on 31 May, not 24."""
    text = CAMPAIGN_FILE.read_text(encoding="utf-8")
    assert text.count("closes: 2023-05-24") == 1
    moved = tmp_path / "campaign-moved.yaml"
    moved.write_text(text.replace("closes: 2023-05-24", "closes: 2023-05-31"), encoding="utf-8")
    return moved


def pending(db: Database) -> dict[str, dt.datetime]:
    with db.unit_of_work(read_only=True) as uow:
        return {i.key: i.due_at for i in due_items(uow.session, campaign_id=CAMPAIGN)}


def do(db: Database, key: str, worker: str = "w1") -> None:
    with db.unit_of_work() as uow:
        (item,) = [i for i in due_items(uow.session) if i.key == key]
        assert claim(uow.session, item.id, worker, claimed_at=LOADED)
        assert finish(uow.session, item.id, worker, status="done", now=LOADED, outcome="ok")
        uow.commit()


def test_loading_a_campaign_plans_its_work(db: Database) -> None:
    load(db)
    assert pending(db) == {
        "open:reenrolment": dt.datetime(2023, 5, 9, 22, 0, tzinfo=UTC),
        "reminder:one_week_left": dt.datetime(2023, 5, 17, 8, 0, tzinfo=UTC),
        "reminder:documents_missing": dt.datetime(2023, 5, 21, 16, 0, tzinfo=UTC),
        "reminder:last_day": dt.datetime(2023, 5, 24, 7, 0, tzinfo=UTC),
        "close:reenrolment": dt.datetime(2023, 5, 24, 22, 0, tzinfo=UTC),
        "open:new_pupils": dt.datetime(2023, 6, 4, 22, 0, tzinfo=UTC),
        "close:new_pupils": dt.datetime(2023, 6, 30, 22, 0, tzinfo=UTC),
        "chase:medical_certificate": dt.datetime(2023, 9, 11, 8, 0, tzinfo=UTC),
    }
    load(db)  # the same file again: nothing planned twice
    with db.unit_of_work(read_only=True) as uow:
        assert len(due_items(uow.session, statuses=None)) == len(pending(db))


def test_a_reload_moves_pending_work_and_leaves_done_work_alone(
    db: Database, tmp_path: Path
) -> None:
    load(db)
    do(db, "open:reenrolment")
    do(db, "reminder:one_week_left")  # sent on 17 May
    load(db, moved_close(tmp_path), now=dt.datetime(2023, 5, 18, 9, 0, tzinfo=UTC))
    after = pending(db)
    assert "reminder:one_week_left" not in after  # done: not planned again for 24 May
    assert after["reminder:documents_missing"] == dt.datetime(2023, 5, 28, 16, 0, tzinfo=UTC)
    assert after["reminder:last_day"] == dt.datetime(2023, 5, 31, 7, 0, tzinfo=UTC)
    assert after["close:reenrolment"] == dt.datetime(2023, 5, 31, 22, 0, tzinfo=UTC)
    with db.unit_of_work(read_only=True) as uow:
        done = {i.key: i for i in due_items(uow.session, statuses=("done",))}
        assert done["reminder:one_week_left"].due_at == dt.datetime(2023, 5, 17, 8, 0, tzinfo=UTC)
        versions = {i.campaign_version for i in due_items(uow.session)}
    assert versions == {2}


def test_an_item_is_claimed_by_one_scheduler_and_taken_back_when_it_dies(db: Database) -> None:
    load(db)
    now = dt.datetime(2023, 5, 10, 0, 5, tzinfo=UTC)
    with db.unit_of_work() as uow:
        (item,) = due_now(uow.session, now)
        assert item.key == "open:reenrolment"
        assert claim(uow.session, item.id, "a", claimed_at=now)
        assert not claim(uow.session, item.id, "b", claimed_at=now + dt.timedelta(minutes=1))
        # "a" died: after the lease its claim is taken back, and "a" can no longer finish
        later = now + dt.timedelta(minutes=20)
        assert claim(uow.session, item.id, "b", claimed_at=later, lease=dt.timedelta(minutes=15))
        assert not finish(uow.session, item.id, "a", status="done", now=later, outcome="late")
        assert finish(uow.session, item.id, "b", status="done", now=later, outcome="ok")
        assert not claim(uow.session, item.id, "c", claimed_at=later + dt.timedelta(days=1))
        uow.commit()
    with db.unit_of_work(read_only=True) as uow:
        assert due_now(uow.session, now) == []


def test_a_failed_item_stays_pending_with_its_error(db: Database) -> None:
    load(db)
    now = dt.datetime(2023, 5, 10, 0, 5, tzinfo=UTC)
    with db.unit_of_work() as uow:
        (item,) = due_now(uow.session, now)
        assert claim(uow.session, item.id, "a", claimed_at=now)
        release(uow.session, item.id, "a", error="SMTP down")
        uow.commit()
    with db.unit_of_work(read_only=True) as uow:
        (again,) = due_now(uow.session, now)
    assert (again.status, again.last_error, again.claimed_by, again.attempts) == (
        "pending",
        "SMTP down",
        None,
        1,
    )


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def test_one_scheduler_leads_and_another_takes_over_when_it_dies(
    db: Database, tmp_path: Path
) -> None:
    clock = Clock()
    ttl = dt.timedelta(seconds=30)
    first = Leadership(db, "first", ttl=ttl, clock=clock)
    # the second candidate runs in its own "process": its own engine and connections
    other_db = open_database(db.engine.url.render_as_string(hide_password=False), tmp_path)
    second = Leadership(other_db, "second", ttl=ttl, clock=clock)
    try:
        assert first.acquire()
        assert not second.acquire()
        clock.now += dt.timedelta(seconds=20)
        assert first.acquire()  # renewed
        clock.now += dt.timedelta(seconds=20)
        assert not second.acquire()
        info = leader(db)
        assert info is not None
        assert info.holder == "first"
        if db.dialect == "postgresql":
            first._drop_lock_connection()  # its connection dies with the process
        clock.now += dt.timedelta(seconds=31)  # and its lease runs out
        # PostgreSQL frees a dead session's lock when its backend exits, a moment after the
        # client is gone: the waiting scheduler simply tries again at its next round.
        patience = time.monotonic() + 10
        while not second.acquire():
            assert time.monotonic() < patience, "the lock of a dead leader was never freed"
            time.sleep(0.05)
        assert not first.acquire()
        info = leader(db)
        assert info is not None
        assert info.holder == "second"
        second.release()
        assert first.acquire()  # released: free at once
    finally:
        first.release()
        second.release()
        other_db.dispose()
