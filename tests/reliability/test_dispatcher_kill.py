"""``dacapo outbox dispatch --loop`` killed with SIGKILL while it drains 2,000 messages.

A real SMTP server (aiosmtpd on loopback) counts what it accepts, by Message-ID. The
dispatcher runs as a subprocess of the installed ``dacapo`` script on a SQLite data
directory, and is killed five times at random points of the stream (when the server has
seen a randomly drawn number of messages), then restarted, until the outbox is drained.
The promise under test (README, « Delivery guarantee »): no message is lost, and a kill
makes at most one message arrive twice.

The lease after which a killed dispatcher's claims are taken back is a constant
(``notifications.dispatcher.LEASE``, 10 minutes) with no setting to shorten it, so each
restart runs on the simulated clock (``DACAPO_NOW``) one lease and a minute later than
the previous run: the claims it left have expired, as they would have in real time.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from dacapo.notifications.dispatcher import LEASE
from dacapo.notifications.mime import message_id
from dacapo.store.database import Database, open_database
from dacapo.store.tables import OutboxRow
from tests.integration.test_dispatch import OPEN
from tests.integration.test_dispatch_race import queue_messages
from tests.smtp_mailbox import free_port

MESSAGES = 2000
KILLS = 5
DACAPO = Path(sys.executable).with_name("dacapo")  # the script of the venv running the tests
STEP = LEASE + dt.timedelta(minutes=1)


def statuses(db: Database) -> Counter[str]:
    with db.unit_of_work(read_only=True) as uow:
        rows = uow.session.execute(
            select(OutboxRow.status, func.count()).group_by(OutboxRow.status)  # type: ignore[arg-type]
        ).all()
    return Counter(dict(rows))


def _cpu() -> float:
    """CPU seconds of this process (the SMTP server's thread) and of its finished children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


class MessageIds:
    """An aiosmtpd handler that keeps the Message-ID of each message it accepts (read from
    the raw header: parsing 2,000 whole messages would cost the test seconds)."""

    HEADER = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        header, _, _ = envelope.content.partition(b"\r\n\r\n")
        found = self.HEADER.search(header)
        if found is None:
            return "550 5.6.0 no Message-ID"
        self.ids.append(found.group(1).decode())
        return "250 Message accepted for delivery"


@pytest.fixture
def mailbox() -> Iterator[MessageIds]:
    box = MessageIds()
    box.controller.start()
    yield box
    box.controller.stop()


class Dispatchers:
    """Starts ``dacapo outbox dispatch --loop`` runs, each one lease later than the last."""

    def __init__(self, data_dir: Path, port: int, logs: Path) -> None:
        self.data_dir, self.port, self.logs = data_dir, port, logs
        self.runs = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> subprocess.Popen[bytes]:
        now = OPEN + self.runs * STEP
        environment = {
            **os.environ,
            "DACAPO_DATA_DIR": str(self.data_dir),
            "DACAPO_SMTP_HOST": "127.0.0.1",
            "DACAPO_SMTP_PORT": str(self.port),
            "DACAPO_NOW": now.isoformat(),
        }
        environment.pop("DACAPO_DATABASE_URL", None)
        log = (self.logs / f"run{self.runs}.log").open("wb")
        command = [str(DACAPO), "-q", "outbox", "dispatch", "--loop", "--interval", "0.2",
                   "--worker", f"run{self.runs}"]  # fmt: skip
        self.process = subprocess.Popen(command, env=environment, stdout=log, stderr=log)
        log.close()
        self.runs += 1
        return self.process

    def log(self) -> str:
        """What the last run printed."""
        return (self.logs / f"run{self.runs - 1}.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


def wait_for(condition: Callable[[], bool], what: str, every: float, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


@pytest.mark.slow
def test_a_dispatcher_killed_five_times_loses_nothing_and_repeats_at_most_one_per_kill(
    tmp_path: Path, mailbox: MessageIds
) -> None:
    data_dir = tmp_path / "data"
    db = open_database(None, data_dir)
    keys = queue_messages(db, MESSAGES)
    # Kill when the server has seen these many messages: five random points of the stream.
    rng = random.Random(20230524)
    thresholds = sorted(rng.sample(range(100, MESSAGES - 100), KILLS))
    dispatchers = Dispatchers(data_dir, mailbox.port, tmp_path)
    held: list[int] = []
    started, cpu = time.monotonic(), _cpu()
    try:
        for threshold in thresholds:
            process = dispatchers.start()
            wait_for(
                lambda n=threshold, p=process: len(mailbox.ids) >= n or p.poll() is not None,
                f"{threshold} messages",
                0.002,
            )
            assert process.poll() is None, dispatchers.log()  # still sending: kill it now
            time.sleep(rng.uniform(0, 0.05))  # right after an acceptance, or a little later
            process.send_signal(signal.SIGKILL)
            assert process.wait(timeout=30) == -signal.SIGKILL
            held.append(statuses(db)["sending"])  # claims the dead dispatcher left
        last = dispatchers.start()
        wait_for(
            lambda: statuses(db)["sent"] == MESSAGES or last.poll() is not None,
            "the outbox to drain",
            0.2,
        )
        last.send_signal(signal.SIGTERM)  # the loop finishes the message in flight and stops
        assert last.wait(timeout=30) == 0
        elapsed, cpu = time.monotonic() - started, _cpu() - cpu
        final = statuses(db)
    finally:
        dispatchers.stop()
        db.dispose()

    received = Counter(mailbox.ids)
    expected = {message_id(key) for key in keys}
    assert final == Counter({"sent": MESSAGES})
    assert set(received) == expected  # every row sent, every Message-ID received
    repeats = sum(count - 1 for count in received.values())
    assert repeats <= KILLS, received.most_common(KILLS + 1)
    tally = dispatchers.log()
    assert "retried 0, failed 0" in tally, tally
    print(
        f"dispatcher kill: {MESSAGES} messages, {KILLS} kills at {thresholds}, "
        f"claims left {held}, {len(mailbox.ids)} received ({repeats} repeated), "
        f"{elapsed:.1f} s, {cpu:.1f} s CPU (server and dispatchers; this process in all: "
        f"{time.process_time():.1f} s)"
    )
