"""Processes of the race tests (module-level, so that ``spawn`` can import them).

Staff act as ``dacapo dossier`` does: one unit of work per action, through the same
services (``fire``, ``update_fields``, ``extend_deadline``), committed at once. Each
action is reported as an ``Act``: committed (with the audit row it wrote), or refused
(with the error's class and message, as the CLI would print it).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from sqlmodel import Session

from dacapo.campaigns.schema import Role
from dacapo.engine.errors import DacapoError
from dacapo.engine.services import fire
from dacapo.rules.snapshot import Actor
from dacapo.store.closing import close_window
from dacapo.store.corrections import extend_deadline, update_fields
from dacapo.store.database import Database, open_database
from dacapo.store.engine_port import SqlDossierStore

CAMPAIGN = "malakoff-2023-2024"
PARIS = dt.timezone(dt.timedelta(hours=2))
OPEN = dt.datetime(2023, 5, 15, 10, 0, tzinfo=PARIS)  # inside the window
DAYS_LATE = dt.datetime(2023, 5, 26, 9, 0, tzinfo=PARIS)  # the close job runs; staff too
EXTENDED_UNTIL = dt.date(2023, 5, 31)
REASONS = {
    "withdraw": "La famille a appelé : arrêt du conservatoire",
    "update": "Numéro corrigé au téléphone",
    "extend": "Hospitalisation, pièces à venir",
    "reopen": "Dossier papier déposé le 24 mai à l'accueil",
}


@dataclass(frozen=True)
class Act:
    """One staff action and what came of it."""

    actor: str
    ref: str
    action: str
    seen_version: int | None  # the version looked at before acting (None: not checked)
    outcome: str  # "committed", or the refusal's class name
    message: str = ""  # the refusal's message
    reasons: tuple[str, ...] = ()  # GuardFailed's reasons
    audit_seq: int | None = None  # the audit row the action wrote
    changes: tuple[tuple[str, object, object], ...] = ()  # corrections: (field, before, after)


def _act(
    db: Database,
    actor: Actor,
    ref: str,
    action: str,
    seen: int | None,
    do: Callable[[Session], tuple[int | None, tuple[tuple[str, object, object], ...]]],
) -> Act:
    try:
        with db.unit_of_work() as uow:
            seq, changes = do(uow.session)
            uow.commit()
    except DacapoError as error:
        reasons = tuple(getattr(error, "reasons", ()))
        return Act(actor.id, ref, action, seen, type(error).__name__, str(error), reasons)
    return Act(actor.id, ref, action, seen, "committed", audit_seq=seq, changes=changes)


def staff_action(
    db: Database,
    actor: Actor,
    ref: str,
    action: str,
    *,
    now: dt.datetime,
    seen: int | None,
    value: str = "",
) -> Act:
    """``action`` on ``ref`` as ``dacapo dossier advance / update / extend`` would do it;
    ``seen``: the version the staff member looked at (``--expect-version``)."""

    def transition(session: Session) -> tuple[int | None, tuple[()]]:
        store = SqlDossierStore(session)
        outcome = fire(store, ref, action, actor, now=now, reason=REASONS.get(action),
                       expected_version=seen)  # fmt: skip
        return outcome.steps[-1].audit_seq, ()

    def correction(session: Session) -> tuple[int | None, tuple[tuple[str, object, object], ...]]:
        if action == "extend":
            done = extend_deadline(session, ref, EXTENDED_UNTIL, actor=actor, now=now,
                                   reason=REASONS["extend"])  # fmt: skip
        else:
            done = update_fields(session, ref, [value], actor=actor, now=now,
                                 reason=REASONS["update"], expected_version=seen)  # fmt: skip
        return done.audit_seq, tuple((c.field, c.before, c.after) for c in done.changes)

    do = correction if action in ("update", "extend") else transition
    return _act(db, actor, ref, action, seen, do)


def look(db: Database, ref: str) -> tuple[str, int]:
    """What ``dacapo dossier show`` tells the staff member: state and version."""
    with db.unit_of_work(read_only=True) as uow:
        store = SqlDossierStore(uow.session)
        record = store.dossier(ref)
        store.campaign(record.campaign_id, record.campaign_version)  # parsed once per process
    return record.snapshot.state, record.version


def close(
    url: str, data_dir: str, first: str, chunk: int, barrier: Barrier, out: Queue[Any]
) -> None:
    """The scheduler's closing job, started with the staff; its lapses and seconds."""
    db = open_database(url, Path(data_dir))
    try:
        look(db, first)  # ready to go: the campaign parsed, the database open
        barrier.wait(timeout=120)
        started = time.monotonic()
        outcome = close_window(db, CAMPAIGN, "reenrolment", now=DAYS_LATE, chunk=chunk)
    finally:
        db.dispose()
    out.put(("close", (outcome.lapsed, time.monotonic() - started)))


def staff_during_close(
    url: str,
    data_dir: str,
    name: str,
    refs: list[str],
    seed: int,
    barrier: Barrier,
    out: Queue[Any],
) -> None:
    """A staff member working through ``refs`` while the window closes: look at each
    dossier, think a moment, act on what was seen. A lapsed dossier is reopened; an open
    one is withdrawn, corrected (guardian 1's mobile) or given more time."""
    db = open_database(url, Path(data_dir))
    rng = random.Random(seed)
    actor = Actor(Role.STAFF, name)
    acts: list[Act] = []
    try:
        look(db, refs[0])
        barrier.wait(timeout=120)
        for number, ref in enumerate(refs):
            state, version = look(db, ref)
            time.sleep(rng.uniform(0, 0.01))
            action = "reopen" if state == "lapsed" else rng.choice(["withdraw", "update", "extend"])
            mobile = f"06 {10 + seed:02d} {number // 100:02d} {number % 100:02d} 00"
            acts.append(staff_action(db, actor, ref, action, now=DAYS_LATE, seen=version,
                                     value=f"guardian1.mobile={mobile}"))  # fmt: skip
    finally:
        db.dispose()
    out.put((name, acts))


def staff_on_one_family(
    url: str,
    data_dir: str,
    name: str,
    rounds: list[tuple[str, str, bool, str]],
    barrier: Barrier,
    out: Queue[Any],
) -> None:
    """Rounds of (dossier, action, whether the version seen is checked, FIELD=VALUE): look
    at the dossier, wait for the other staff member, then act."""
    db = open_database(url, Path(data_dir))
    actor = Actor(Role.STAFF, name)
    acts: list[Act] = []
    try:
        look(db, rounds[0][0])
        for ref, action, checked, value in rounds:
            _, version = look(db, ref)
            barrier.wait(timeout=60)
            seen = version if checked else None
            acts.append(staff_action(db, actor, ref, action, now=OPEN, seen=seen, value=value))
    finally:
        db.dispose()
    out.put((name, acts))
