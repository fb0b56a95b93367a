"""Two dispatchers started together, in two processes, over 1,000 queued messages:
each message reaches the SMTP server exactly once (counted by Message-ID)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from dacapo.notifications.dispatcher import Dispatcher
from dacapo.notifications.files import FileChannel
from dacapo.notifications.mime import message_id
from dacapo.notifications.smtp import SmtpChannel
from dacapo.store.database import Database, open_database
from dacapo.store.dossiers import get_dossier
from dacapo.store.outbox import add_outbox_rows
from dacapo.store.tables import OutboxRow
from tests.integration.ready_dossiers import load_bundled_campaign, seed_family
from tests.integration.test_dispatch import OPEN
from tests.smtp_mailbox import Mailbox

MESSAGES = 1000


def queue_messages(db: Database, count: int) -> list[str]:
    """``count`` confirmations of one dossier, each to its own address; their keys."""
    load_bundled_campaign(db)
    [ref] = seed_family(db, pupils=[("S0100", "Léa")])
    with db.unit_of_work() as uow:
        dossier = get_dossier(uow.session, ref)
        rows = [
            OutboxRow(
                idempotency_key=f"confirmation:{ref}:race:{i}",
                dossier_id=dossier.id,
                event="confirmation",
                channel="email",
                recipient=f"parent{i}@example.org",
                template="confirmation",
                context={"dossier": ref, "event": "confirm"},
                next_attempt_at=OPEN,
                created_at=OPEN,
            )
            for i in range(count)
        ]
        keys = add_outbox_rows(uow.session, rows)
        uow.commit()
    return keys


def dispatch_worker(
    url: str, data_dir: str, port: int, worker: str, barrier: Any, out: Any
) -> None:
    """One dispatcher process: wait for the other, then drain the outbox."""
    database = open_database(url, Path(data_dir))
    clock = lambda: dt.datetime.now(dt.UTC)  # noqa: E731
    smtp = SmtpChannel("127.0.0.1", port, timeout=10, clock=clock)
    files = FileChannel(Path(data_dir) / worker, clock=clock)
    dispatcher = Dispatcher(database, smtp, files, worker, clock, batch=20)
    barrier.wait(timeout=60)
    try:
        tally = dispatcher.run()
    finally:
        dispatcher.close()
        database.dispose()
    out.put((worker, tally.sent, tally.retried, tally.failed))


@pytest.mark.slow
def test_two_dispatchers_started_together_deliver_each_of_1000_messages_exactly_once(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    keys = queue_messages(db, MESSAGES)
    mailbox = Mailbox()
    mailbox.start()
    spawn = multiprocessing.get_context("spawn")
    barrier, out = spawn.Barrier(2), spawn.Queue()
    workers = [
        spawn.Process(
            target=dispatch_worker,
            args=(database_url, str(tmp_path), mailbox.port, name, barrier, out),
        )
        for name in ("one", "two")
    ]
    try:
        for process in workers:
            process.start()
        results = [out.get(timeout=120) for _ in workers]
        for process in workers:
            process.join(timeout=30)
    finally:
        for process in workers:
            if process.is_alive():
                process.kill()
        mailbox.stop()

    received = Counter(m["Message-ID"] for m in mailbox.messages)
    assert sum(sent for _, sent, _, _ in results) == MESSAGES
    assert all(sent > 0 for _, sent, _, _ in results), results  # both took part
    assert len(mailbox.messages) == MESSAGES
    assert received == Counter(message_id(key) for key in keys)
