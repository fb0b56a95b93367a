"""The dispatcher works while the SMTP server does, without weakening the outbox
guarantee: a message accepted by the server is recorded ``sent`` before the next one
reaches it, so a dispatcher that dies leaves at most one message to send twice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from dacapo.notifications import dispatcher as dispatcher_module
from dacapo.store.database import Database
from dacapo.store.engines import make_engine
from dacapo.store.tables import OutboxRow
from tests.integration.test_dispatch import LATER, OPEN, Clock, outbox, smtp_dispatcher
from tests.integration.test_dispatch_race import queue_messages
from tests.smtp_mailbox import Mailbox

MESSAGES = 7


class Witness(Mailbox):
    """A server that, as each message is addressed to it (RCPT), counts the rows
    already recorded ``sent``."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.database_url = database_url
        self.sent_before: list[int] = []  # for each message: rows recorded sent by then

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        engine = make_engine(self.database_url)  # used by the server's thread only
        try:
            with engine.connect() as connection:
                sent = col(OutboxRow.status) == "sent"
                query = select(func.count()).select_from(OutboxRow).where(sent)
                self.sent_before.append(int(connection.execute(query).scalar_one()))
        finally:
            engine.dispose()
        return await super().handle_RCPT(server, session, envelope, address, options)


@pytest.fixture
def clock() -> Clock:
    return Clock(OPEN)


@pytest.fixture
def witness(database_url: str) -> Iterator[Witness]:
    box = Witness(database_url)
    box.start()
    yield box
    box.stop()


def test_each_accepted_message_is_recorded_before_the_next_one_is_addressed(
    db: Database, witness: Witness, clock: Clock
) -> None:
    queue_messages(db, MESSAGES)
    dispatcher = smtp_dispatcher(db, witness.port, clock, batch=3)  # batches end mid-way too

    tally = dispatcher.run()

    assert tally.sent == MESSAGES
    # The k-th message was addressed when the k-1 before it were all recorded, no more.
    assert witness.sent_before == list(range(MESSAGES))
    assert {r.status for r in outbox(db)} == {"sent"}


def test_when_a_result_cannot_be_recorded_the_next_message_is_not_sent(
    db: Database, mailbox: Mailbox, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = queue_messages(db, 3)

    def database_gone(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(dispatcher_module, "mark_sent", database_gone)
    with pytest.raises(RuntimeError, match="went away"):
        smtp_dispatcher(db, mailbox.port, clock).run()

    assert len(mailbox.messages) == 1  # the second one was stopped before its content
    assert {r.status for r in outbox(db)} == {"sending"}  # taken back after the lease
    monkeypatch.undo()
    clock.now = OPEN + LATER
    assert smtp_dispatcher(db, mailbox.port, clock, worker="next").run().sent == 3
    sent_twice = len(mailbox.messages) - len(keys)
    assert sent_twice == 1  # the one accepted but not recorded: at most one per crash


def test_a_stop_request_finishes_the_message_in_flight_and_hands_the_rest_back(
    db: Database, mailbox: Mailbox, clock: Clock
) -> None:
    queue_messages(db, 5)
    dispatcher = smtp_dispatcher(db, mailbox.port, clock)
    original = dispatcher._render
    rendered: list[int] = []

    def render_then_stop(row: Any, source: Any) -> Any:
        rendered.append(row.id)
        if len(rendered) == 3:  # asked to stop while the second message is in flight
            dispatcher.stop.set()
        return original(row, source)

    dispatcher._render = render_then_stop  # type: ignore[method-assign]

    tally = dispatcher.run()

    assert (tally.sent, len(mailbox.messages)) == (2, 2)
    rows = outbox(db)
    assert [r.status for r in rows] == ["sent", "sent", "pending", "pending", "pending"]
    assert [r.attempts for r in rows] == [1, 1, 0, 0, 0]
