"""Races on a real database, between processes of their own (``spawn``):

- staff acting on dossiers while the scheduler closes their window;
- two staff members correcting one family at the same moment;
- a campaign reload while the dispatcher sends the outbox to an SMTP server.

Whatever the interleaving, nothing is lost: an action either commits, and then its effect
is there and audited, or is refused with a message a person can act on; the audit chains
verify and every dossier's state is where its last audit row leads.
"""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import os
import queue
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from dacapo.notifications.mime import message_id
from dacapo.scheduler.jobs import run_due_work
from dacapo.store.audit import verify_audit
from dacapo.store.closing import close_window
from dacapo.store.database import Database
from tests.e2e.conftest import Result
from tests.reliability import race_workers as workers
from tests.reliability.race_workers import DAYS_LATE, EXTENDED_UNTIL, Act
from tests.reliability.school import (
    AUDIT,
    CAMPAIGN,
    CAMPAIGN_VERSION,
    DOSSIER,
    DUE_WORK,
    GUARDIAN,
    OUTBOX,
    STUDENT,
    import_school,
)
from tests.smtp_mailbox import Mailbox

PARIS = dt.timezone(dt.timedelta(hours=2))
CLOSES_AT = dt.datetime(2023, 5, 24, 22, 0, tzinfo=dt.UTC)
CAMPAIGN_FILE = Path(__file__).parents[2] / "campaign-2023-2024.yaml"
DACAPO = Path(sys.executable).with_name("dacapo")
D, S, G, AU, OUT, DUE = (t.c for t in (DOSSIER, STUDENT, GUARDIAN, AUDIT, OUTBOX, DUE_WORK))


def together(*work: tuple[Callable[..., None], tuple[Any, ...]]) -> dict[str, Any]:
    """Run each ``(target, args)`` in a process of its own, all released by one barrier;
    what each put in the queue, by name."""
    spawn = multiprocessing.get_context("spawn")
    barrier, out = spawn.Barrier(len(work)), spawn.Queue()
    processes = [spawn.Process(target=t, args=(*args, barrier, out)) for t, args in work]
    results: dict[str, Any] = {}
    try:
        for process in processes:
            process.start()
        deadline = time.monotonic() + 300
        while len(results) < len(processes):
            try:
                name, result = out.get(timeout=1)
                results[name] = result
            except queue.Empty:
                crashed = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
                assert not crashed, f"a worker died (exit codes {crashed}): see its stderr"
                assert time.monotonic() < deadline, "the workers did not finish in 300 s"
        for process in processes:
            process.join(timeout=60)
            assert process.exitcode == 0
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
    return results


@dataclass(frozen=True)
class Trail:
    """One audit row, as the checks read it."""

    seq: int
    event: str
    from_state: str
    to_state: str
    actor: str
    effective_at: dt.datetime
    recorded_at: dt.datetime


def trails(db: Database) -> dict[str, list[Trail]]:
    """Every dossier's audit rows, in order."""
    query = (
        select(D.ref, AU.seq, AU.event, AU.from_state, AU.to_state, AU.actor, AU.effective_at,
               AU.recorded_at)
        .join(DOSSIER, D.id == AU.dossier_id)
        .order_by(AU.dossier_id, AU.seq)
    )  # fmt: skip
    found: dict[str, list[Trail]] = defaultdict(list)
    with db.unit_of_work(read_only=True) as uow:
        for ref, *fields in uow.session.execute(query):
            found[ref].append(Trail(*fields))
    return found


def ledger_holds(db: Database) -> dict[str, list[Trail]]:
    """The audit chains verify, each row leaves the state the one before led to, and each
    dossier is where its last row leads; the trails."""
    with db.unit_of_work(read_only=True) as uow:
        assert verify_audit(uow.session, campaign_id=CAMPAIGN) is None
        states = dict(uow.session.execute(select(D.ref, D.state)).all())
    found = trails(db)
    for ref, rows in found.items():
        assert [r.seq for r in rows] == list(range(1, len(rows) + 1)), ref
        assert all(a.to_state == b.from_state for a, b in itertools.pairwise(rows)), rows
        assert rows[-1].to_state == states[ref], (ref, rows)
    return found


def refusal_is_explained(act: Act) -> None:
    """A refusal says what happened and what to do, as the CLI prints it."""
    if act.outcome == "ConcurrentUpdate":
        assert act.message == f"Someone else changed dossier {act.ref} first; reload and try again"
    elif act.outcome == "GuardFailed":
        assert act.reasons, act
        assert act.message.startswith(f"Cannot {act.action}: {len(act.reasons)} unmet"), act
    elif act.outcome == "TransitionNotAllowed":
        assert f"Event {act.action!r} is not allowed from state" in act.message, act
        assert "allowed now: " in act.message, act
    else:
        raise AssertionError(f"not an explained refusal: {act}")


def families_of(db: Database) -> dict[str, int]:
    with db.unit_of_work(read_only=True) as uow:
        query = select(D.ref, S.family_id).join(STUDENT, S.id == D.student_id)
        return dict(uow.session.execute(query).all())


def first_mobiles(db: Database) -> dict[int, str | None]:
    """Guardian 1's mobile, per family."""
    with db.unit_of_work(read_only=True) as uow:
        query = select(G.family_id, G.mobile).where(G.position == 1)
        return dict(uow.session.execute(query).all())


# --- a. Staff at work while the window closes --------------------------------------------

CLOSING_PUPILS = 4000
# The close's transactions, and the staff's between them. A writer waiting for SQLite's lock
# polls it (after 1, 2, 5, ... 100 ms): it gets in only if it polls between two chunks, so
# short chunks there; PostgreSQL's row locks let the staff through anywhere.
CLOSING_CHUNK = {"sqlite": 5, "postgresql": 50}
STAFF_ACTIONS = 60


def test_staff_acting_while_the_window_closes_lose_nothing_and_every_refusal_says_why(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    import_school(db, CLOSING_PUPILS)
    family = families_of(db)
    rng = random.Random(2023_05_25)
    # Anne and Bruno share the work by family: each family's data has one editor here.
    anne = rng.sample([r for r, f in family.items() if f % 2 == 0], STAFF_ACTIONS)
    bruno = rng.sample([r for r, f in family.items() if f % 2 == 1], STAFF_ACTIONS)
    mobiles_before = first_mobiles(db)
    results = together(
        (workers.close, (database_url, str(tmp_path), anne[0], CLOSING_CHUNK[db.dialect])),
        (workers.staff_during_close, (database_url, str(tmp_path), "anne", anne, 1)),
        (workers.staff_during_close, (database_url, str(tmp_path), "bruno", bruno, 2)),
    )
    raced = time.monotonic() - started
    acts: list[Act] = results["anne"] + results["bruno"]
    found = ledger_holds(db)
    with db.unit_of_work(read_only=True) as uow:
        query = select(D.ref, D.state, D.deadline)
        dossiers = {ref: (state, deadline) for ref, state, deadline in uow.session.execute(query)}
        notices = Counter(
            uow.session.execute(
                select(D.ref, OUT.recipient)
                .join(DOSSIER, D.id == OUT.dossier_id)
                .where(OUT.event == "lapse")
            ).all()
        )
        emails = Counter(
            uow.session.execute(
                select(D.ref)
                .join(STUDENT, S.id == D.student_id)
                .join(GUARDIAN, G.family_id == S.family_id)
                .where(G.email.is_not(None))
            ).scalars()
        )

    # Every action committed, with its effect and its audit row, or was refused and said why.
    by_ref = {(a.actor, a.ref): a for a in acts}
    for act in acts:
        mine = [r for r in found[act.ref] if r.actor == act.actor]
        if act.outcome != "committed":
            refusal_is_explained(act)
            assert mine == [], act  # refused: nothing of it written
            continue
        assert [(r.seq, r.event) for r in mine] == [(act.audit_seq, act.action)], act
        row = mine[0]
        later = found[act.ref][row.seq :]
        state, deadline = dossiers[act.ref]
        if act.action == "withdraw":
            assert (row.to_state, state, later) == ("withdrawn", "withdrawn", [])
        elif act.action == "reopen":  # reopened after its lapse: the close left it so
            assert [r.event for r in found[act.ref]][-2:] == ["lapse", "reopen"]
            assert state == "invited"
        elif act.action == "extend":  # the close respected the new deadline
            assert (deadline, state, later) == (EXTENDED_UNTIL, "invited", [])
        else:  # a correction: before the lapse, or refused after it
            assert act.action == "update"
            assert act.changes
            assert [r.event for r in later] in ([], ["lapse"])
    for name in ("anne", "bruno"):  # the last correction of each family is the one kept
        last: dict[int, object] = {}
        for act in results[name]:
            if act.action == "update" and act.outcome == "committed":
                last[family[act.ref]] = act.changes[-1][2]
        mobiles = first_mobiles(db)
        assert {f: mobiles[f] for f in last} == last
        untouched = {f for f in mobiles_before if f % 2 == (name == "bruno") and f not in last}
        assert {f: mobiles[f] for f in untouched} == {f: mobiles_before[f] for f in untouched}

    # The close lapsed every open dossier once, unless staff had given it more time or
    # withdrawn it first; reopened ones stay open.
    lapses = {ref: [r for r in rows if r.event == "lapse"] for ref, rows in found.items()}
    for ref, (state, _) in dossiers.items():
        assert len(lapses[ref]) <= 1, found[ref]
        assert all(r.effective_at == CLOSES_AT and r.actor == "dacapo" for r in lapses[ref])
        if not lapses[ref]:
            kept = by_ref.get(("anne", ref)) or by_ref.get(("bruno", ref))
            assert kept is not None, (ref, found[ref])
            assert kept.outcome == "committed", (kept, found[ref])
            assert (kept.action, state) in (("withdraw", "withdrawn"), ("extend", "invited"))
    lapsed, closing_seconds = results["close"]
    assert lapsed == sum(1 for rows in lapses.values() if rows)
    lapsed_refs = {ref for ref, rows in lapses.items() if rows}
    assert set(notices.values()) == {1}
    assert Counter(ref for ref, _ in notices) == {ref: emails[ref] for ref in lapsed_refs}
    assert close_window(db, CAMPAIGN, "reenrolment", now=DAYS_LATE).lapsed == 0

    # Not vacuous: staff acted before the close reached their dossiers (it respected what
    # they did), after (they reopened what it lapsed), and in between its transactions.
    outcomes = Counter((a.action, a.outcome) for a in acts)
    assert outcomes["reopen", "committed"] > 0, outcomes
    assert outcomes["withdraw", "committed"] + outcomes["extend", "committed"] > 0, outcomes
    lapse_times = sorted(r.recorded_at for rows in lapses.values() for r in rows)
    during = [
        r
        for act in acts
        if act.outcome == "committed"
        for r in found[act.ref]
        if r.actor == act.actor and lapse_times[0] < r.recorded_at < lapse_times[-1]
    ]
    assert len(during) >= 3, outcomes  # SQLite: a writer waiting on the lock rarely gets it
    print(
        f"\nstaff during the close ({db.dialect}): {dict(outcomes)}, {len(during)} committed "
        f"while it ran ({closing_seconds:.2f} s); {raced:.1f} s to the end of the race"
    )


# --- b. Two staff members on one family --------------------------------------------------

FAMILY_PUPILS = 400
ROUNDS = 40


def sibling_pairs(db: Database) -> list[tuple[int, str, str]]:
    """(family id, first dossier, second dossier) of families with two pupils or more."""
    found: dict[int, list[str]] = defaultdict(list)
    for ref, family in sorted(families_of(db).items()):
        found[family].append(ref)
    return [(f, refs[0], refs[1]) for f, refs in sorted(found.items()) if len(refs) >= 2]


def mobile(person: int, number: int) -> str:
    return f"guardian1.mobile=06 {person:02d} {number // 100:02d} {number % 100:02d} 00"


def in_turn(original: object, one: Act, two: Act, final: object) -> bool:
    """Both corrections of one field applied, one after the other: the second saw the
    first's value, and its value is the one kept."""
    [(_, before_1, after_1)], [(_, before_2, after_2)] = one.changes, two.changes
    return (before_1, before_2, final) == (original, after_1, after_2)


def test_two_staff_on_one_family_apply_in_turn_or_one_is_told_to_reload(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    import_school(db, FAMILY_PUPILS)
    pairs = sibling_pairs(db)[:ROUNDS]
    assert len(pairs) == ROUNDS
    kinds = ["one dossier, version checked", "one dossier, as typed", "siblings",
             "one dossier, withdraw", "siblings, withdraw"]  # fmt: skip
    anne: list[tuple[str, str, bool, str]] = []
    bruno: list[tuple[str, str, bool, str]] = []
    for number, (_, first, second) in enumerate(pairs):
        kind = kinds[number % len(kinds)]
        other = second if kind.startswith("siblings") else first
        if kind.endswith("withdraw"):
            anne.append((first, "withdraw", True, ""))
            bruno.append((other, "withdraw", False, ""))
        else:
            checked = kind != "one dossier, as typed"
            anne.append((first, "update", checked, mobile(11, number)))
            bruno.append((other, "update", checked, mobile(22, number)))
    original = first_mobiles(db)
    results = together(
        (workers.staff_on_one_family, (database_url, str(tmp_path), "anne", anne)),
        (workers.staff_on_one_family, (database_url, str(tmp_path), "bruno", bruno)),
    )
    raced = time.monotonic() - started
    final = first_mobiles(db)
    found = ledger_holds(db)
    seen: Counter[str] = Counter()
    for number, ((family, _, _), a, b) in enumerate(
        zip(pairs, results["anne"], results["bruno"], strict=True)
    ):
        kind = kinds[number % len(kinds)]
        won = [act for act in (a, b) if act.outcome == "committed"]
        for act in (a, b):
            if act.outcome != "committed":
                refusal_is_explained(act)
        for act in won:  # committed: audited
            rows = [r for r in found[act.ref] if r.actor == act.actor]
            assert [(r.seq, r.event) for r in rows] == [(act.audit_seq, act.action)], act
        if kind == "siblings, withdraw":
            assert len(won) == 2, (a, b)
        elif kind == "one dossier, withdraw":
            assert len(won) == 1, (a, b)
            assert [r.event for r in found[a.ref]].count("withdraw") == 1
        elif kind == "one dossier, version checked":
            assert len(won) == 1, (a, b)
            assert won[0].changes[0][1:] == (original[family], final[family]), won
        elif len(won) == 2:  # both applied: in one order or the other, nothing lost
            assert in_turn(original[family], a, b, final[family]) or in_turn(
                original[family], b, a, final[family]
            ), (kind, a, b, final[family])
        else:
            assert len(won) == 1, (a, b)
            assert won[0].changes[0][1:] == (original[family], final[family]), won
        seen[f"{kind}: {len(won)} committed"] += 1
    print(f"\ntwo staff on one family ({db.dialect}): {dict(seen)}; {raced:.1f} s")


# --- c. A campaign reload while the dispatcher sends -------------------------------------

RELOAD_PUPILS = 400
OLD_PHONE, NEW_PHONE = "01 55 48 04 19", "01 55 48 04 29"
NEW_PUPILS_CLOSE = (
    dt.datetime(2023, 6, 30, 22, 0, tzinfo=dt.UTC),
    dt.datetime(2023, 7, 7, 22, 0, tzinfo=dt.UTC),
)


def due_work(db: Database) -> dict[str, tuple[str, dt.datetime, dt.datetime | None]]:
    with db.unit_of_work(read_only=True) as uow:
        query = select(DUE.key, DUE.status, DUE.due_at, DUE.done_at)
        return {key: (status, due, done) for key, status, due, done in uow.session.execute(query)}


def test_a_campaign_reload_during_dispatch_sends_each_message_once_and_moves_the_due_work(
    db: Database,
    database_url: str,
    tmp_path: Path,
    mailbox: Mailbox,
    dacapo: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = time.monotonic()
    import_school(db, RELOAD_PUPILS)
    # The scheduler's work: invitations when the window opens, the lapses when it closes.
    for now in (dt.datetime(2023, 5, 10, 9, 0, tzinfo=PARIS), DAYS_LATE):
        run_due_work(db, now=now, worker="scheduler")
    with db.unit_of_work(read_only=True) as uow:
        keys = list(uow.session.execute(select(OUT.idempotency_key)).scalars())
    before = due_work(db)
    assert before["close:new_pupils"][:2] == ("pending", NEW_PUPILS_CLOSE[0])
    changed = tmp_path / "campaign-2023-2024.yaml"
    text = CAMPAIGN_FILE.read_text(encoding="utf-8")
    edited = text.replace(f"scolarite: {OLD_PHONE}", f"scolarite: {NEW_PHONE}")
    edited = edited.replace("closes: 2023-06-30", "closes: 2023-07-07")
    assert edited.count(NEW_PHONE) == 1
    assert "closes: 2023-07-07" in edited
    changed.write_text(edited, encoding="utf-8")

    environment = {**os.environ, "DACAPO_DATABASE_URL": database_url,
                   "DACAPO_DATA_DIR": str(tmp_path), "DACAPO_SMTP_HOST": "127.0.0.1",
                   "DACAPO_SMTP_PORT": str(mailbox.port),
                   "DACAPO_NOW": DAYS_LATE.isoformat()}  # fmt: skip
    log = tmp_path / "dispatch.log"
    with log.open("wb") as output:
        dispatcher = subprocess.Popen(
            [str(DACAPO), "-q", "outbox", "dispatch"], env=environment, stdout=output,
            stderr=output,
        )  # fmt: skip
    try:
        while len(mailbox.messages) < len(keys) // 3 and dispatcher.poll() is None:
            time.sleep(0.005)
        assert dispatcher.poll() is None, log.read_text()
        monkeypatch.setenv("DACAPO_DATABASE_URL", database_url)
        monkeypatch.setenv("DACAPO_NOW", "2023-05-26T10:00:00+02:00")
        reload_at = len(mailbox.messages)
        reloaded = dacapo("campaign", "load", str(changed))
        reload_done = len(mailbox.messages)
        assert dispatcher.wait(timeout=120) == 0, log.read_text()
    finally:
        if dispatcher.poll() is None:
            dispatcher.kill()
    elapsed = time.monotonic() - started

    assert reloaded.exit_code == 0, reloaded.stderr
    assert f"Loaded {CAMPAIGN} version 2" in reloaded.stdout
    assert "close:new_pupils moved from 2023-06-30 22:00 to 2023-07-07 22:00 UTC" in (
        reloaded.stdout
    )
    # Every message sent, once.
    assert Counter(m["Message-ID"] for m in mailbox.messages) == Counter(
        message_id(key) for key in keys
    )
    with db.unit_of_work(read_only=True) as uow:
        statuses = Counter(uow.session.execute(select(OUT.status)).scalars())
        versions = Counter(uow.session.execute(select(D.campaign_version)).scalars())
        loaded = uow.session.execute(
            select(func.count()).select_from(CAMPAIGN_VERSION)
        ).scalar_one()
    assert statuses == {"sent": len(keys)}
    assert (loaded, versions) == (2, {2: RELOAD_PUPILS})
    # The text changed once, between two batches, and never back.
    phones = [
        (OLD_PHONE in body, NEW_PHONE in body)
        for body in (m.get_body(("plain",)).get_content() for m in mailbox.messages)  # type: ignore[union-attr]
    ]
    switch = phones.index((False, True))
    assert phones == [(True, False)] * switch + [(False, True)] * (len(phones) - switch)
    assert reload_at <= switch <= reload_done + 100, (reload_at, switch, reload_done)
    # The due work follows the new dates; what was done or skipped stays so.
    after = due_work(db)
    assert after["close:new_pupils"][:2] == ("pending", NEW_PUPILS_CLOSE[1])
    assert {k: v for k, v in after.items() if k != "close:new_pupils"} == {
        k: v for k, v in before.items() if k != "close:new_pupils"
    }
    assert ledger_holds(db)
    print(f"\nreload during dispatch ({db.dialect}): {len(keys)} messages, reload between "
          f"message {reload_at} and {reload_done}, new text from message {switch}; "
          f"{elapsed:.1f} s")  # fmt: skip
