"""``dacapo scheduler run``: APScheduler 3.11 driving rounds of due work.

APScheduler is only the loop, never the truth (DESIGN.md: two schedulers
sharing its job store run jobs twice; a job missed while down is dropped):
due work lives in our tables (``store.schedule``), and every round

1. takes or renews the leadership (``store.leadership``), doing nothing
   but wait while another scheduler leads;
2. does the due work (``scheduler.jobs.run_due_work``) and sends the due
   outbox messages;
3. arms a one-off job at the next item's instant, so work starts on time
   between the regular rounds.

One worker thread, so rounds never overlap. SIGTERM and SIGINT stop the
loop after the round in flight; the lease is released on the way out.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from dacapo.scheduler.jobs import RoundOutcome, run_due_work
from dacapo.store.database import Database
from dacapo.store.leadership import Leadership
from dacapo.store.schedule import next_due

Dispatch = Callable[[dt.datetime], int]  # sends due messages at ``now``; returns how many


@dataclass
class Round:
    led: bool
    outcome: RoundOutcome | None = None
    sent: int = 0


class SchedulerProcess:
    def __init__(
        self,
        database: Database,
        leadership: Leadership,
        *,
        worker: str,
        clock: Callable[[], dt.datetime],
        dispatch: Dispatch | None,
        interval: float = 30.0,
    ) -> None:
        self.database = database
        self.leadership = leadership
        self.worker = worker
        self.clock = clock
        self.dispatch = dispatch
        self.interval = interval
        self.scheduler = BlockingScheduler(
            timezone=dt.UTC,
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._busy = threading.Lock()
        self.log = structlog.get_logger("dacapo").bind(worker=worker)

    def round(self) -> Round:
        """One round (see the module); safe to call directly (``tick``)."""
        if not self._busy.acquire(blocking=False):
            return Round(led=False)
        try:
            if not self.leadership.acquire():
                self.log.info("scheduler.waiting", reason="another scheduler leads")
                return Round(led=False)
            now = self.clock()
            outcome = run_due_work(self.database, now=now, worker=self.worker)
            sent = self.dispatch(now) if self.dispatch is not None else 0
            self.leadership.record_tick(now)
            return Round(True, outcome, sent)
        finally:
            self._busy.release()

    def _round_job(self) -> None:
        try:
            self.round()
        except Exception:  # logged; the next round tries again
            self.log.exception("scheduler.round_failed")
        self._arm_next()

    def _arm_next(self) -> None:
        with self.database.unit_of_work(read_only=True) as uow:
            due = next_due(uow.session)
        if due is None:
            return
        due = max(due, self.clock())
        self.scheduler.add_job(
            self._round_job, DateTrigger(run_date=due), id="next-due", replace_existing=True
        )

    def run(self) -> None:
        """Block until SIGTERM or SIGINT, doing a round every ``interval`` seconds."""
        self.scheduler.add_job(
            self._round_job,
            IntervalTrigger(seconds=self.interval),
            id="round",
            next_run_time=dt.datetime.now(dt.UTC),
        )
        previous: dict[signal.Signals, Any] = {}

        def stop(signum: int, frame: object) -> None:
            self.log.info("scheduler.stopping", signal=signal.Signals(signum).name)
            self.scheduler.shutdown(wait=False)

        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, stop)
        self.log.info("scheduler.started", interval=self.interval)
        try:
            self.scheduler.start()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            with self._busy:  # let the round in flight finish
                self.leadership.release()
            self.log.info("scheduler.stopped")
