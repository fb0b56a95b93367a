"""One round of the scheduler's work: every due item, once, then the extensions.

``run_due_work(database, now=..., worker=...)`` is what ``dacapo scheduler
tick`` and each round of ``dacapo scheduler run`` do:

1. every pending item due at ``now`` is claimed (``store.schedule.claim``)
   and done: invitations at a window's opening, a reminder sweep, a window's
   closing (lapses stamped with its closing instant, however late this runs),
   the chase of a deferred document;
2. a reminder (or chase) whose moment has passed by more than the campaign
   allows, or whose window has closed, is skipped and logged, not sent late;
3. dossiers whose own extended deadline has passed lapse (after their
   window's closing is done);
4. a failed item is released with its error and retried on the next round.

Each job is idempotent by itself (outbox idempotency keys; a closing only
lapses what is still open), and the claim makes sure one scheduler does it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import select

from dacapo.campaigns.windows import require_aware
from dacapo.store.database import Database
from dacapo.store.schedule import DEFAULT_CLAIM_LEASE, DUE, DueItem, claim, due_now, finish, release
from dacapo.store.types import utcnow


@dataclass(frozen=True)
class Done:
    item: DueItem
    status: str  # done | skipped | failed
    outcome: str


@dataclass
class RoundOutcome:
    now: dt.datetime
    done: list[Done] = field(default_factory=list)
    extensions_lapsed: int = 0

    def count(self, status: str) -> int:
        return sum(1 for d in self.done if d.status == status)


def summary(outcome: Any) -> str:
    """A job's outcome in one line: its own ``summary()``, else its numbers by name."""
    describe = getattr(outcome, "summary", None)
    if callable(describe):
        return str(describe())
    if not dataclasses.is_dataclass(outcome) or isinstance(outcome, type):
        return str(outcome)
    parts = []
    for f in dataclasses.fields(outcome):
        value = getattr(outcome, f.name)
        if isinstance(value, int | str) and not isinstance(value, bool):
            parts.append(f"{f.name}={value}")
    return " ".join(parts)


def run_due_work(
    database: Database,
    *,
    now: dt.datetime,
    worker: str,
    lease: dt.timedelta = DEFAULT_CLAIM_LEASE,
) -> RoundOutcome:
    """Do every item due at ``now`` that no live scheduler holds (see the module)."""
    require_aware(now)
    log = structlog.get_logger("dacapo").bind(worker=worker)
    result = RoundOutcome(now)
    with database.unit_of_work(read_only=True) as uow:
        items = due_now(uow.session, now)
    for item in items:
        with database.unit_of_work() as uow:
            won = claim(uow.session, item.id, worker, claimed_at=utcnow(), lease=lease)
            uow.commit()
        if not won:
            continue
        bound = log.bind(campaign=item.campaign_id, job=item.key, due_at=item.due_at.isoformat())
        try:
            status, text = perform(database, item, now)
        except Exception as error:  # kept pending, retried next round; never lost
            message = f"{type(error).__name__}: {error}"
            with database.unit_of_work() as uow:
                release(uow.session, item.id, worker, error=message)
                uow.commit()
            bound.exception("scheduler.job_failed")
            result.done.append(Done(item, "failed", message))
            continue
        with database.unit_of_work() as uow:
            finish(uow.session, item.id, worker, status=status, now=now, outcome=text)
            uow.commit()
        if status == "skipped":
            bound.warning("scheduler.job_skipped", reason=text)
        else:
            bound.info("scheduler.job_done", outcome=text)
        result.done.append(Done(item, status, text))
    result.extensions_lapsed = _lapse_extensions(database, now)
    return result


def perform(database: Database, item: DueItem, now: dt.datetime) -> tuple[str, str]:
    """Do one claimed item: ``("done", summary)`` or ``("skipped", why)``."""
    from dacapo.store.closing import close_window
    from dacapo.store.sweeps import chase_deferred, send_invitations, send_reminder

    if item.late_after is not None and now >= item.late_after:
        late = now - item.due_at
        return "skipped", (
            f"due {item.due_at:%Y-%m-%d %H:%M} UTC, {_duration(late)} late: "
            f"past {item.late_after:%Y-%m-%d %H:%M} UTC, not sent late"
        )
    if item.kind == "open":
        outcome: Any = send_invitations(database, item.campaign_id, item.subject, now=now)
    elif item.kind == "reminder":
        outcome = send_reminder(database, item.campaign_id, item.subject, now=now)
    elif item.kind == "close":
        outcome = close_window(database, item.campaign_id, item.subject, now=now)
    elif item.kind == "chase":
        outcome = chase_deferred(database, item.campaign_id, item.subject, now=now)
    else:  # the table's CHECK constraint makes this unreachable
        raise ValueError(f"unknown kind of due work {item.kind!r}")
    return "done", summary(outcome)


def _lapse_extensions(database: Database, now: dt.datetime) -> int:
    """Lapse extended dossiers past their own deadline, in campaigns already closed."""
    from dacapo.store.closing import lapse_expired_extensions

    with database.unit_of_work(read_only=True) as uow:
        closed = (
            uow.session.execute(
                select(DUE.c.campaign_id)
                .where(DUE.c.kind == "close", DUE.c.status == "done")
                .distinct()
            )
            .scalars()
            .all()
        )
    total = 0
    for campaign_id in closed:
        outcome = lapse_expired_extensions(database, campaign_id, now=now)
        total += int(getattr(outcome, "lapsed", 0))
    return total


def _duration(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"
