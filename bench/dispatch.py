"""Dispatch throughput to a local SMTP server, beside a plain smtplib loop.

    .venv/bin/python -m bench.dispatch [--messages 5000] [--postgres URL | --no-postgres]

Seeds the bundled campaign and families (two guardians, one pupil each: two
confirmations per dossier), queues the confirmations in the outbox, and times
``Dispatcher.run`` (claim, read the context, render, send by SMTP, record each
result in its own transaction, committed before the next message goes) to an
aiosmtpd server in another process. The baseline, in the same run, sends the
same messages already rendered and encoded with ``smtplib.SMTP.sendmail`` on
one connection: no database, no template. Not a test: it prints figures.

Each note gives the CPU time this process spent per message, ours and the
baseline's (the server's is not counted), and the machine's load average
around the run: on a busy machine the server, the database and the dispatcher
wait for a core at every round trip, and the ratio says little.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url, text
from sqlmodel import col, select

from bench.common import Figure, Report, machine, timed
from dacapo.commands.campaign import read_campaign
from dacapo.notifications.channels import EmailMessage
from dacapo.notifications.dispatcher import Dispatcher
from dacapo.notifications.files import FileChannel
from dacapo.notifications.mime import envelope_sender, mime_bytes
from dacapo.notifications.render import Renderer
from dacapo.notifications.smtp import SmtpChannel
from dacapo.store.campaign_versions import save_campaign_version
from dacapo.store.database import Database, open_database, upgrade
from dacapo.store.engines import make_engine
from dacapo.store.outbox import add_outbox_rows
from dacapo.store.outbox_claims import ClaimedRow
from dacapo.store.outbox_context import render_inputs
from dacapo.store.tables import Answer, Document, Dossier, Family, Guardian, OutboxRow, Student

ROOT = Path(__file__).parents[1]
NOW = dt.datetime(2023, 5, 15, 8, 0, tzinfo=dt.UTC)
MAIL_FROM = "Conservatoire de Malakoff <scolarite@example.org>"
SERVER = """
import sys
from aiosmtpd.controller import Controller
class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        return "250 OK"
controller = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
print(Count.n, flush=True)
"""


@contextmanager
def smtp_server() -> Iterator[tuple[int, list[int]]]:
    """aiosmtpd in a process of its own; yields its port, then how many it received."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdin is not None
    process.stdout.readline()
    received: list[int] = []
    try:
        yield port, received
    finally:
        process.stdin.close()
        received.append(int(process.stdout.readline() or 0))
        process.wait(timeout=30)


@contextmanager
def database(kind: str, postgres: str | None, work: Path) -> Iterator[Database]:
    """A fresh SQLite file, or a fresh PostgreSQL schema (dropped afterwards)."""
    if kind == "sqlite":
        db = open_database(f"sqlite:///{work / 'bench.sqlite3'}", work)
        yield db
        db.dispose()
        return
    assert postgres is not None
    schema = f"bench_{secrets.token_hex(4)}"
    admin = make_engine(postgres)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres).update_query_dict({"options": f"-csearch_path={schema}"})
    shown = url.render_as_string(hide_password=False)
    try:
        upgrade(shown, work)
        db = open_database(shown, work)
        yield db
        db.dispose()
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def seed(db: Database, families: int) -> None:
    """The bundled campaign; ``families`` families, each two guardians and one pupil."""
    loaded = read_campaign(ROOT / "campaign-2023-2024.yaml")
    with db.unit_of_work() as uow:
        save_campaign_version(uow.session, loaded.campaign, source_text=loaded.text,
                              sha256=loaded.sha256, loaded_by="bench", loaded_at=NOW)  # fmt: skip
        session = uow.session
        queued: list[OutboxRow] = []
        for n in range(families):
            family = Family(site_code="malakoff", ref=f"F{n:05}", city="Malakoff")
            session.add(family)
            session.flush()
            assert family.id is not None
            student = Student(family_id=family.id, site_code="malakoff", ref=f"S{n:05}",
                              first_name="Léa", last_name=f"Durand{n}", discipline="musique",
                              cycle="cycle_1", birth_date=dt.date(2012, 3, 4))  # fmt: skip
            session.add(student)
            session.add_all(
                [
                    Guardian(family_id=family.id, position=1, first_name="Anne",
                             last_name=f"Durand{n}", email=f"anne.{n}@example.org"),
                    Guardian(family_id=family.id, position=2, first_name="Paul",
                             last_name=f"Durand{n}", email=f"paul.{n}@example.org"),
                    Document(family_id=family.id, kind="payment_form", signed=True),
                ]
            )  # fmt: skip
            session.flush()
            assert student.id is not None
            dossier = Dossier(ref=f"malakoff-2023-2024-S{n:05}", campaign_id=loaded.campaign.id,
                              campaign_version=1, workflow="reenrolment", window="reenrolment",
                              student_id=student.id, state="confirmed")  # fmt: skip
            session.add(dossier)
            session.flush()
            assert dossier.id is not None
            session.add(Answer(dossier_id=dossier.id, intent=True))
            queued += [
                OutboxRow(idempotency_key=f"confirmation:{dossier.ref}:v1:email:{who}.{n}",
                          dossier_id=dossier.id, family_id=family.id, event="confirmation",
                          channel="email", recipient=f"{who}.{n}@example.org",
                          template="confirmation", context={"dossier": dossier.ref},
                          next_attempt_at=NOW, created_at=NOW)
                for who in ("anne", "paul")
            ]  # fmt: skip
        add_outbox_rows(session, queued)
        uow.commit()


def rendered_messages(db: Database) -> list[tuple[str, bytes]]:
    """Every queued message rendered and encoded, for the baseline."""
    with db.unit_of_work(read_only=True) as uow:
        rows = uow.session.exec(select(OutboxRow).order_by(col(OutboxRow.id))).all()
        claimed = [
            ClaimedRow(r.id or 0, r.idempotency_key, r.dossier_id, r.family_id, r.event,
                       r.channel, r.recipient, r.template, r.context, 1, NOW)
            for r in rows
        ]  # fmt: skip
        inputs = render_inputs(uow.session, claimed, NOW)
    renderer = Renderer()
    out = []
    for row in claimed:
        source = inputs[row.id]
        assert not isinstance(source, str), source
        email = renderer.render(row.template, "email", source.variables)
        data = mime_bytes(EmailMessage(row.key, row.recipient, email), MAIL_FROM, NOW)
        out.append((row.recipient, data))
    return out


def measure(kind: str, postgres: str | None, messages: int, report: Report) -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        database(kind, postgres, Path(folder)) as db,
        smtp_server() as (port, received),
    ):
        seed(db, messages // 2)
        clock = lambda: NOW  # noqa: E731
        smtp = SmtpChannel("127.0.0.1", port, mail_from=MAIL_FROM, clock=clock)
        dispatcher = Dispatcher(db, smtp, FileChannel(Path(folder)), "bench", clock)
        load = os.getloadavg()[0]
        cpu = time.process_time()
        with timed() as ours:
            tally = dispatcher.run()
        our_cpu = time.process_time() - cpu
        dispatcher.close()
        assert tally.sent == messages, tally
        prepared = rendered_messages(db)
        sender = envelope_sender(MAIL_FROM)
        cpu = time.process_time()
        with timed() as plain:
            connection = smtplib.SMTP("127.0.0.1", port)
            for recipient, data in prepared:
                connection.sendmail(sender, [recipient], data)
            connection.quit()
        plain_cpu = time.process_time() - cpu
    assert received == [2 * messages], received
    per = 1000 / messages
    note = (
        f"claim + context + render + SMTP + one commit per message; CPU {our_cpu * per:.2f}"
        f" ms/msg (smtplib loop {plain_cpu * per:.2f}); load {load:.1f}→{os.getloadavg()[0]:.1f}"
    )
    report.add(Figure(f"dispatch to aiosmtpd ({kind})", ours[0], messages, plain[0], note=note))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--postgres", default=os.environ.get("DACAPO_TEST_POSTGRES_URL"))
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    report = Report(f"Outbox dispatch, {args.messages:,} emails")
    measure("sqlite", None, args.messages, report)
    if args.postgres and not args.no_postgres:
        try:
            measure("postgresql", args.postgres, args.messages, report)
        except Exception as error:  # unreachable server: say so, keep the SQLite figure
            print(f"  PostgreSQL skipped: {type(error).__name__}: {error}")
    print()
    print(report.markdown())


if __name__ == "__main__":
    main()
