"""Closing a 20,000-dossier window, killed with SIGKILL twenty times at random moments.

The promise under test (``store.closing``): each chunk is one transaction, so a kill keeps
the chunks committed before it and loses the one in flight whole; a re-run finishes the
job, and a dossier is never lapsed twice. In the end every open dossier of the window
lapsed exactly once, with exactly one ``lapse`` audit row and one lapse notice per address
of its family, the audit chains verify, and every dossier's state is where its last audit
row leads.

The closing runs as ``python -m tests.reliability.closing_worker`` in chunks of 500,
started again after each kill. Each kill waits for a drawn number of chunks to be
committed (twenty of the 39 points before the last chunk, drawn at random), then for a
random fraction of the time a chunk takes: it lands inside the next chunk's transaction
or between two, or, when the run starts at its point already, while the run sets up.
After every kill the invariants are checked on what was committed, not only at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from dacapo.campaigns.schema import Role
from dacapo.engine.services import fire
from dacapo.rules.snapshot import Actor
from dacapo.store.audit import verify_audit
from dacapo.store.closing import close_window
from dacapo.store.corrections import extend_deadline
from dacapo.store.database import Database
from dacapo.store.engine_port import SqlDossierStore
from tests.reliability.closing_worker import READY
from tests.reliability.school import (
    AUDIT,
    CAMPAIGN,
    DOSSIER,
    GUARDIAN,
    OUTBOX,
    STUDENT,
    import_school,
)

PUPILS = 20_000
KILLS = 20
CHUNK = 500
PARIS = dt.timezone(dt.timedelta(hours=2))
OPEN = dt.datetime(2023, 5, 15, 10, 0, tzinfo=PARIS)
CLOSES_AT = dt.datetime(2023, 5, 24, 22, 0, tzinfo=dt.UTC)  # 25 May 00:00 Paris
DAYS_LATE = dt.datetime(2023, 5, 26, 9, 0, tzinfo=PARIS)
STAFF = Actor(Role.STAFF, "secretariat")
ROOT = Path(__file__).parents[2]


D, S, G, AU, OUT = (t.c for t in (DOSSIER, STUDENT, GUARDIAN, AUDIT, OUTBOX))


@dataclass
class School:
    """Who should lapse, and to which addresses each one's lapse notice should go."""

    lapsing: dict[int, set[str]]  # dossier id -> the addresses of its lapse notices
    withdrawn: set[int]  # withdrawn by staff before the close: final, never lapsed
    extended: set[int]  # extended past the window: kept open by the close


def prepare(db: Database, rng: random.Random) -> School:
    """20,000 invited dossiers; before the close, staff withdraw 20, extend 20, and move 30
    to « identity_verified » (another group); 50 pupils are adults with their own email."""
    refs = import_school(db, PUPILS)
    picked = rng.sample(refs, 120)
    withdrawn, extended, verified, adults = picked[:20], picked[20:40], picked[40:70], picked[70:]
    with db.unit_of_work() as uow:
        store = SqlDossierStore(uow.session)
        for ref in withdrawn:
            fire(store, ref, "withdraw", STAFF, now=OPEN, reason="Déménagement à Lyon")
        for ref in verified:
            fire(store, ref, "verify_identity", STAFF, now=OPEN)
        for ref in extended:
            extend_deadline(uow.session, ref, dt.date(2023, 5, 31), actor=STAFF, now=OPEN,
                            reason="Hospitalisation")  # fmt: skip
        owners = select(D.student_id).where(D.ref.in_(adults)).scalar_subquery()
        uow.session.execute(
            update(STUDENT)
            .where(S.id.in_(owners))
            .values(birth_date=dt.date(2004, 1, 2), email=func.lower(S.ref) + "@example.org")
        )
        uow.commit()
    with db.unit_of_work(read_only=True) as uow:
        s = uow.session
        ids = dict(s.execute(select(D.ref, D.id)).all())
        addresses: dict[int, set[str]] = {dossier_id: set() for dossier_id in ids.values()}
        family_emails = (
            select(D.id, G.email)
            .join(STUDENT, S.id == D.student_id)
            .join(GUARDIAN, G.family_id == S.family_id)
            .where(G.email.is_not(None))
        )
        for dossier_id, email in s.execute(family_emails):
            addresses[dossier_id].add(email)
        own = select(D.id, S.email).join(STUDENT, S.id == D.student_id)
        for dossier_id, email in s.execute(own.where(D.ref.in_(adults))):
            addresses[dossier_id].add(email)
    kept = {ids[ref] for ref in withdrawn + extended}
    return School(
        lapsing={i: found for i, found in addresses.items() if i not in kept},
        withdrawn={ids[ref] for ref in withdrawn},
        extended={ids[ref] for ref in extended},
    )


@dataclass
class Committed:
    """What the closing has committed so far."""

    lapsed: set[int]
    lapse_rows: Counter[int]  # lapse audit rows per dossier
    notices: Counter[tuple[int, str]]  # lapse notices per (dossier, address)


def committed(db: Database) -> Committed:
    with db.unit_of_work(read_only=True) as uow:
        s = uow.session
        lapsed = set(s.execute(select(D.id).where(D.state == "lapsed")).scalars())
        rows = Counter(s.execute(select(AU.dossier_id).where(AU.event == "lapse")).scalars())
        query = select(OUT.dossier_id, OUT.recipient).where(OUT.event == "lapse")
        notices = Counter((dossier, address) for dossier, address in s.execute(query))
    return Committed(lapsed, rows, notices)


def check(school: School, done: Committed, *, final: bool) -> None:
    """What every restart must find: whole chunks, each lapse with its row and notices."""
    assert done.lapsed <= set(school.lapsing)
    if final:
        assert done.lapsed == set(school.lapsing)
    else:  # a chunk commits whole or not at all
        assert len(done.lapsed) % CHUNK == 0 or len(done.lapsed) == len(school.lapsing)
    assert done.lapse_rows == Counter(done.lapsed)
    expected = Counter((i, address) for i in done.lapsed for address in school.lapsing[i])
    assert done.notices == expected


def lapsed_so_far(db: Database) -> int:
    with db.unit_of_work(read_only=True) as uow:
        return int(uow.session.execute(
            select(func.count()).select_from(DOSSIER).where(D.state == "lapsed")
        ).scalar_one())  # fmt: skip


@dataclass
class Runs:
    """Closing runs of the worker, each killed once a drawn number of chunks is committed,
    a random fraction of a chunk's time later (inside the next chunk, or between two)."""

    url: str
    data_dir: Path
    logs: Path
    rng: random.Random
    started: int = 0
    killed_mid_run: int = 0
    lapsed_per_run: list[int] = field(default_factory=list)
    chunk_seconds: list[float] = field(default_factory=lambda: [0.1])  # measured as it goes

    def start(self) -> subprocess.Popen[bytes]:
        log = (self.logs / f"run{self.started}.log").open("wb")
        command = [sys.executable, "-m", "tests.reliability.closing_worker", self.url,
                   str(self.data_dir), "--now", DAYS_LATE.isoformat(),
                   "--chunk", str(CHUNK)]  # fmt: skip
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log)
        log.close()
        self.started += 1
        assert process.stdout is not None
        ready = process.stdout.readline().decode().strip()
        assert ready == READY, self.log(process)
        return process

    def log(self, process: subprocess.Popen[bytes]) -> str:
        process.wait(timeout=60)
        return (self.logs / f"run{self.started - 1}.log").read_text(errors="replace")

    def kill_after(self, db: Database, chunks: int) -> Committed:
        """Start a run, wait until ``chunks`` chunks are committed in all, kill it."""
        before = lapsed_so_far(db)
        process = self.start()
        count, since = before, time.monotonic()
        while count < chunks * CHUNK and process.poll() is None:
            time.sleep(0.01)
            now, seen = time.monotonic(), lapsed_so_far(db)
            if seen > count and count > before:  # a chunk's time, once the first has landed
                self.chunk_seconds.append((now - since) * CHUNK / (seen - count))
            if seen > count:
                count, since = seen, now
        time.sleep(self.rng.uniform(0, statistics.median(self.chunk_seconds)))
        process.send_signal(signal.SIGKILL)
        code = process.wait(timeout=60)
        assert process.stdout is not None
        finished = process.stdout.read().strip()
        assert code in (0, -signal.SIGKILL), self.log(process)
        if code == -signal.SIGKILL and not finished:
            self.killed_mid_run += 1
        done = committed(db)
        self.lapsed_per_run.append(len(done.lapsed) - before)
        return done

    def finish(self) -> dict[str, Any]:
        process = self.start()
        assert process.wait(timeout=120) == 0, self.log(process)
        assert process.stdout is not None
        return dict(json.loads(process.stdout.read()))


def last_rows_lead_to_states(db: Database) -> list[tuple[str, str, str]]:
    """Dossiers whose state is not the destination of their last audit row."""
    last = select(AU.dossier_id, func.max(AU.seq).label("seq")).group_by(AU.dossier_id).subquery()
    query = (
        select(D.ref, D.state, AU.to_state)
        .join(last, last.c.dossier_id == D.id)
        .join(AUDIT, (AU.dossier_id == D.id) & (AU.seq == last.c.seq))
        .where(D.state != AU.to_state)
    )
    with db.unit_of_work(read_only=True) as uow:
        return [tuple(row) for row in uow.session.execute(query)]


@pytest.mark.slow
def test_a_close_killed_twenty_times_lapses_every_dossier_once_with_one_row_and_notice(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    rng = random.Random(20230525)
    school = prepare(db, rng)
    seeded = time.monotonic() - started
    runs = Runs(database_url, tmp_path, tmp_path, rng)
    chunks = -(-len(school.lapsing) // CHUNK)
    for target in sorted(rng.sample(range(chunks - 1), KILLS)):  # the last one is never killed
        check(school, runs.kill_after(db, target), final=False)
    done = committed(db)
    left = len(school.lapsing) - len(done.lapsed)
    last = runs.finish()
    assert last["lapsed"] == left
    done = committed(db)
    check(school, done, final=True)

    again = close_window(db, CAMPAIGN, "reenrolment", now=DAYS_LATE, chunk=CHUNK)
    assert (again.lapsed, again.notices, again.kept_with_extension) == (0, 0, 20)
    with db.unit_of_work(read_only=True) as uow:
        states = dict(uow.session.execute(select(D.id, D.state)).all())
        keys = uow.session.execute(
            select(func.count(), func.count(OUT.idempotency_key.distinct()))
        ).one()
        assert verify_audit(uow.session, campaign_id=CAMPAIGN) is None
        if db.dialect == "sqlite":
            integrity = uow.session.execute(text("PRAGMA integrity_check")).scalars().all()
            assert integrity == ["ok"]
    assert {states[i] for i in school.withdrawn} == {"withdrawn"}
    assert {states[i] for i in school.extended} == {"invited"}
    assert keys[0] == keys[1]  # every message once: no idempotency key twice
    assert last_rows_lead_to_states(db) == []
    # Not vacuous: the kills landed while the close was running, spread over it.
    assert runs.killed_mid_run >= 15, runs.lapsed_per_run
    print(
        f"\nclose killed {KILLS} times ({db.dialect}): {runs.killed_mid_run} mid-run, "
        f"lapsed per killed run {runs.lapsed_per_run}, {left} by the last run; "
        f"seeded in {seeded:.1f} s, {time.monotonic() - started:.1f} s in all"
    )
