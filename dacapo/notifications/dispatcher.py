"""The dispatcher: claims due outbox rows, renders them, sends them, records each result.

One pass (``run``) repeats, until nothing is due or the limit is reached:

1. claim a batch in one short transaction (``store.outbox_claims.claim``),
   committed before anything is sent;
2. read what the batch is rendered with (``store.outbox_context``), in one
   read-only transaction;
3. for each row, outside any transaction: render, send through the row's
   channel, and record the result in a transaction of its own: ``sent``;
   ``pending`` again after a backoff (transient failure); ``failed`` with the
   reason (permanent failure, a template problem, or too many attempts).

A row whose claim is getting old (a slow server) is handed back rather than
sent late, so that no other dispatcher sends it at the same time. Killed
between the server's acceptance and the ``sent`` record, a dispatcher leaves
the row ``sending``: it is taken back after the lease and sent once more.
That one message may arrive twice; none is lost.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from sqlalchemy import Connection

from dacapo.notifications.channels import (
    Delivery,
    EmailChannel,
    EmailMessage,
    Outcome,
    SmsChannel,
    SmsMessage,
)
from dacapo.notifications.errors import TemplateProblem
from dacapo.notifications.policy import RetryPolicy
from dacapo.notifications.render import RenderedEmail, RenderedSms, Renderer
from dacapo.store.database import Database
from dacapo.store.outbox_claims import ClaimedRow, claim, mark_failed, mark_retry, mark_sent
from dacapo.store.outbox_claims import release as release_rows
from dacapo.store.outbox_context import RenderInput, render_inputs

LEASE = dt.timedelta(minutes=10)
BATCH = 100

Clock = Callable[[], dt.datetime]
Rendered = RenderedEmail | RenderedSms


@dataclass
class Tally:
    """What a pass did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.failed

    def add(self, other: Tally) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed


@dataclass
class Dispatcher:
    database: Database
    email: EmailChannel
    sms: SmsChannel
    worker: str
    clock: Clock
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    lease: dt.timedelta = LEASE
    batch: int = BATCH
    stop: threading.Event = field(default_factory=threading.Event)
    _renderers: dict[str | None, Renderer] = field(default_factory=dict, repr=False)

    def run(self, limit: int | None = None) -> Tally:
        """Send what is due now, at most ``limit`` rows; stops early when ``stop`` is set."""
        tally = Tally()
        while not self.stop.is_set() and (limit is None or tally.total < limit):
            size = self.batch if limit is None else min(self.batch, limit - tally.total)
            with self.database.unit_of_work() as uow:
                rows = claim(
                    uow.session, now=self.clock(), limit=size, worker=self.worker, lease=self.lease
                )
                uow.commit()
            if not rows:
                break
            tally.add(self.process(rows))
        return tally

    def loop(self, interval: float) -> Tally:
        """``run`` every ``interval`` seconds until ``stop`` is set."""
        tally = Tally()
        while not self.stop.is_set():
            tally.add(self.run())
            self.stop.wait(interval)
        return tally

    def process(self, rows: Sequence[ClaimedRow]) -> Tally:
        """Render, send and record ``rows`` (claimed by this worker), one after the other.

        (Rendering in a second thread, to overlap the server's replies, was slower:
        both threads then fight for the GIL at every socket read.)
        """
        tally = Tally()
        try:
            with self.database.unit_of_work(read_only=True) as uow:
                inputs = render_inputs(uow.session, rows, self.clock())
        except BaseException:
            self.release(rows)
            raise
        with self.database.engine.connect() as connection:
            for index, row in enumerate(rows):
                if self.stop.is_set() or self._claim_too_old(row, self.clock()):
                    self.release(rows[index:])
                    break
                delivery = self._send(row, self._render(row, inputs[row.id]))
                with connection.begin():  # one short transaction per result
                    self._record(connection, row, delivery, tally)
        return tally

    def _claim_too_old(self, row: ClaimedRow, now: dt.datetime) -> bool:
        return now - row.claimed_at > self.lease * 0.8

    def release(self, rows: Sequence[ClaimedRow]) -> None:
        """Hand rows back, untouched (as if never claimed)."""
        if rows:
            with self.database.engine.begin() as connection:
                release_rows(connection, [r.id for r in rows], worker=self.worker)

    def renderer(self, templates_dir: str | None) -> Renderer:
        if templates_dir not in self._renderers:
            folder = Path(templates_dir) if templates_dir else None
            self._renderers[templates_dir] = Renderer(folder)
        return self._renderers[templates_dir]

    def _render(self, row: ClaimedRow, source: RenderInput | str) -> Rendered | Delivery:
        if isinstance(source, str):
            return Delivery(Outcome.FAILED, source)
        try:
            renderer = self.renderer(source.campaign.notifications.templates_dir)
            if row.channel == "sms":
                return renderer.render(row.template, "sms", source.variables)
            return renderer.render(row.template, "email", source.variables)
        except TemplateProblem as problem:
            return Delivery(Outcome.FAILED, f"template: {problem}")
        except Exception as error:  # a bug in a filter or the context: not this message's fault
            structlog.get_logger("dacapo").exception("outbox.render_error", outbox=row.id)
            return Delivery(Outcome.RETRY, f"{type(error).__name__}: {error}")

    def _send(self, row: ClaimedRow, rendered: Rendered | Delivery) -> Delivery:
        if isinstance(rendered, Delivery):
            return rendered
        try:
            if isinstance(rendered, RenderedSms):
                return self.sms.send_sms(SmsMessage(row.key, row.recipient, rendered))
            return self.email.send_email(EmailMessage(row.key, row.recipient, rendered))
        except Exception as error:  # a bug in a channel: keep the loop alive
            structlog.get_logger("dacapo").exception("outbox.channel_error", outbox=row.id)
            return Delivery(Outcome.RETRY, f"{type(error).__name__}: {error}")

    def _record(
        self, connection: Connection, row: ClaimedRow, delivery: Delivery, tally: Tally
    ) -> None:
        """In the caller's transaction (SQLAlchemy Core: the hot path; BEGIN IMMEDIATE
        on SQLite, as in a unit of work)."""
        now = self.clock()
        logger = structlog.get_logger("dacapo").bind(outbox=row.id, event=row.event)
        if delivery.outcome is Outcome.SENT:
            mark_sent(connection, row.id, now=now)
            tally.sent += 1
        elif delivery.outcome is Outcome.RETRY and not self.policy.gives_up(row.attempts):
            when = self.policy.next_attempt(now, row.attempts, delivery.retry_after)
            mark_retry(connection, row.id, worker=self.worker, next_attempt_at=when,
                       error=delivery.detail)  # fmt: skip
            logger.info("outbox.retry", attempts=row.attempts, error=delivery.detail)
            tally.retried += 1
        else:
            error = delivery.detail
            if delivery.outcome is Outcome.RETRY:
                error = f"gave up after {row.attempts} attempts: {error}"
            mark_failed(connection, row, worker=self.worker, error=error,
                        bounced=delivery.bounced)  # fmt: skip
            logger.warning("outbox.failed", error=error, bounced=delivery.bounced)
            tally.failed += 1

    def close(self) -> None:
        self.email.close()
        if id(self.sms) != id(self.email):  # one FileChannel may carry both
            self.sms.close()
