"""The dispatcher: claims due outbox rows, renders them, sends them, records each result.

One pass (``run``) repeats, until nothing is due or the limit is reached:

1. claim a batch in one short transaction (``store.outbox_claims.claim``),
   committed before anything is sent;
2. read what the batch is rendered with (``store.outbox_context``), in one
   read-only transaction;
3. for each row, outside any transaction: render, send through the row's
   channel, and record the result, committed at once: ``sent``; ``pending``
   again after a backoff (transient failure); ``failed`` with the reason
   (permanent failure, a template problem, or too many attempts).

The work overlaps the SMTP exchange (``SplitEmailChannel``): while the
server takes a message in, the next one is rendered; then the server's reply
is read, the next message's MAIL FROM goes out, and the reply is recorded
(committed) while the server reads that command; only then does the next
message itself go. One message at most is ever between the server's
acceptance and its committed ``sent``.

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
from functools import partial

import structlog
from sqlalchemy import Connection

from dacapo.notifications.channels import (
    Delivery,
    EmailChannel,
    EmailMessage,
    Exchange,
    InOneGo,
    Outcome,
    Reply,
    Settled,
    SmsChannel,
    SmsMessage,
    SplitEmailChannel,
    known,
)
from dacapo.notifications.errors import TemplateProblem
from dacapo.notifications.policy import RetryPolicy
from dacapo.notifications.render import RenderedEmail, RenderedSms, Renderer, campaign_folder
from dacapo.store.database import Database
from dacapo.store.outbox_claims import ClaimedRow, claim, mark_failed, mark_retry, mark_sent
from dacapo.store.outbox_claims import release as release_rows
from dacapo.store.outbox_context import RenderInput, render_inputs

LEASE = dt.timedelta(minutes=10)
BATCH = 100

Clock = Callable[[], dt.datetime]
Rendered = RenderedEmail | RenderedSms


def _nothing() -> None:
    pass


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
    _begin_email: Callable[[EmailMessage], Exchange] | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._begin_email = None  # the channel sends in one go
        if isinstance(self.email, SplitEmailChannel):
            self._begin_email = self.email.begin_email

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
        """Render, send and record ``rows`` (claimed by this worker), in order.

        Each message is rendered while the server takes in the one before (see
        the module docstring). (Rendering in a second thread instead was slower:
        both threads then fight for the GIL at every socket read.)
        """
        tally = Tally()
        try:
            with self.database.unit_of_work(read_only=True) as uow:
                inputs = render_inputs(uow.session, rows, self.clock())
        except BaseException:
            self.release(rows)
            raise
        for renderer in self._renderers.values():
            renderer.refresh()  # templates edited since the last batch
        flight: tuple[ClaimedRow, Reply] | None = None  # handed over, the reply not read yet
        with self._marks() as connection:
            try:
                for index, row in enumerate(rows):
                    rendered = self._render(row, inputs[row.id])  # as the last one goes in
                    previous, flight = flight, None
                    landed = self._landing(connection, previous, tally)
                    if self.stop.is_set() or self._claim_too_old(row, self.clock()):
                        landed()
                        self.release(rows[index:])
                        break
                    exchange = self._begin(row, rendered)
                    try:
                        landed()  # recorded while the server reads the first command
                    except BaseException:
                        exchange.abandon()
                        raise
                    flight = row, self._proceed(row, exchange)
            finally:
                self._landing(connection, flight, tally)()
        return tally

    def _landing(
        self, connection: Connection, flight: tuple[ClaimedRow, Reply] | None, tally: Tally
    ) -> Callable[[], None]:
        """Reads the reply to the message in flight now; what it returns records it."""
        if flight is None:
            return _nothing
        row, reply = flight
        delivery = self._reply(row, reply)

        def record() -> None:
            if delivery.outcome is Outcome.SENT:  # one UPDATE, on the connection kept open
                with connection.begin():
                    self._record(connection, row, delivery, tally)
            else:  # the row and maybe the family's guardians: a transaction of their own
                with self.database.engine.begin() as transaction:
                    self._record(transaction, row, delivery, tally)

        return record

    def _marks(self) -> Connection:
        """The connection ``sent`` marks go through, one short transaction each. On
        PostgreSQL in autocommit: the one UPDATE commits itself, in one round trip
        instead of three (BEGIN, UPDATE, COMMIT); equally durable. SQLite keeps its
        ``BEGIN IMMEDIATE`` (its driver-level autocommit would undo our settings)."""
        connection = self.database.engine.connect()
        if self.database.dialect == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection

    def _claim_too_old(self, row: ClaimedRow, now: dt.datetime) -> bool:
        return now - row.claimed_at > self.lease * 0.8

    def release(self, rows: Sequence[ClaimedRow]) -> None:
        """Hand rows back, untouched (as if never claimed)."""
        if rows:
            with self.database.engine.begin() as connection:
                release_rows(connection, [r.id for r in rows], worker=self.worker)

    def renderer(self, templates_dir: str | None) -> Renderer:
        if templates_dir not in self._renderers:
            self._renderers[templates_dir] = Renderer(campaign_folder(templates_dir))
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

    def _begin(self, row: ClaimedRow, rendered: Rendered | Delivery) -> Exchange:
        """Start handing the message to its channel (all of it goes in ``proceed``,
        unless the channel sends in steps)."""
        if isinstance(rendered, Delivery):
            return Settled(rendered)
        if isinstance(rendered, RenderedSms):
            sms = SmsMessage(row.key, row.recipient, rendered)
            return InOneGo(partial(self.sms.send_sms, sms))
        message = EmailMessage(row.key, row.recipient, rendered)
        if self._begin_email is None:
            return InOneGo(partial(self.email.send_email, message))
        try:
            return self._begin_email(message)
        except Exception as error:  # a bug in a channel: keep the loop alive
            self.email.close()  # and start afresh
            return Settled(self._channel_bug(row, error))

    def _proceed(self, row: ClaimedRow, exchange: Exchange) -> Reply:
        try:
            return exchange.proceed()
        except Exception as error:  # a bug in a channel: keep the loop alive
            exchange.abandon()
            return partial(known, self._channel_bug(row, error))

    def _channel_bug(self, row: ClaimedRow, error: Exception) -> Delivery:
        structlog.get_logger("dacapo").exception("outbox.channel_error", outbox=row.id)
        return Delivery(Outcome.RETRY, f"{type(error).__name__}: {error}")

    def _reply(self, row: ClaimedRow, reply: Reply) -> Delivery:
        try:
            return reply()
        except Exception as error:  # a bug in a channel: keep the loop alive
            return self._channel_bug(row, error)

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
