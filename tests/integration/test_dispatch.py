"""The dispatcher against a real SMTP server (aiosmtpd on loopback), on SQLite and PostgreSQL.

Messages are queued by firing real transitions on seeded dossiers. The server
keeps what it receives; it can refuse a recipient (550), answer DATA with a
421, or not run at all.
"""

from __future__ import annotations

import datetime as dt
import email
import random
from email.message import EmailMessage as Received
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from dacapo.campaigns.schema import Role
from dacapo.engine.services import fire
from dacapo.notifications.dispatcher import Dispatcher
from dacapo.notifications.files import FileChannel
from dacapo.notifications.policy import RetryPolicy
from dacapo.notifications.smtp import SmtpChannel
from dacapo.rules.snapshot import Actor
from dacapo.store.database import Database
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.outbox_claims import claim
from dacapo.store.tables import Guardian, OutboxRow
from tests.integration.ready_dossiers import load_bundled_campaign, seed_family
from tests.smtp_mailbox import Mailbox

PARIS = ZoneInfo("Europe/Paris")
OPEN = dt.datetime(2023, 5, 15, 10, 0, tzinfo=PARIS)
ANNE = Actor(Role.GUARDIAN, "f0100.anne@example.org")
STAFF = Actor(Role.STAFF, "secretariat")
LATER = dt.timedelta(hours=7)  # past any backoff of the first attempts


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(OPEN)


def smtp_dispatcher(db: Database, port: int, clock: Clock, **options: Any) -> Dispatcher:
    smtp = SmtpChannel("127.0.0.1", port, timeout=5, clock=clock)
    files = FileChannel(Path(options.pop("folder", "unused")), clock=clock)
    policy = RetryPolicy(rng=random.Random(4))
    return Dispatcher(db, smtp, files, options.pop("worker", "test"), clock, policy, **options)


def confirm(db: Database, ref: str) -> None:
    for event in ("verify_identity", "supply_documents", "accept_rules"):
        with db.unit_of_work() as uow:
            fire(SqlDossierStore(uow.session), ref, event, ANNE, now=OPEN)
            uow.commit()


@pytest.fixture
def confirmed(db: Database) -> str:
    """Léa Durand's dossier confirmed: a confirmation queued for Anne and for Paul."""
    load_bundled_campaign(db)
    [ref] = seed_family(db, pupils=[("S0100", "Léa")])
    confirm(db, ref)
    return ref


def outbox(db: Database) -> list[OutboxRow]:
    with db.unit_of_work(read_only=True) as uow:
        return list(uow.session.exec(select(OutboxRow).order_by(col(OutboxRow.id))).all())


def plain_and_html(message: Received) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    return text.get_content(), html.get_content()


# Delivering


def test_a_confirmation_reaches_both_guardians_in_plain_text_and_html(
    db: Database, confirmed: str, mailbox: Mailbox, clock: Clock
) -> None:
    tally = smtp_dispatcher(db, mailbox.port, clock).run()

    assert (tally.sent, tally.retried, tally.failed) == (2, 0, 0)
    for first_name in ("anne", "paul"):
        [message] = mailbox.to(f"f0100.{first_name}@example.org")
        assert (
            message["Subject"]
            == "Votre réinscription 2023/2024 est confirmée – Conservatoire de Malakoff"
        )
        assert message["Message-ID"].endswith("@dacapo>")
        text, html = plain_and_html(message)
        assert f"Bonjour {first_name.title()} Durand" in text
        assert "Léa Durand" in text
        assert "Léa Durand" in html
        assert "confirmée" in html
    assert {r.status for r in outbox(db)} == {"sent"}
    assert all(r.sent_at == OPEN for r in outbox(db))


def test_a_rejected_document_gives_the_deadline_as_a_french_date_by_email_and_sms(
    db: Database, mailbox: Mailbox, clock: Clock, tmp_path: Path
) -> None:
    load_bundled_campaign(db)
    [ref] = seed_family(db, pupils=[("S0100", "Léa")])
    for event in ("verify_identity", "supply_documents"):
        with db.unit_of_work() as uow:
            fire(SqlDossierStore(uow.session), ref, event, ANNE, now=OPEN)
            uow.commit()
    with db.unit_of_work() as uow:
        fire(SqlDossierStore(uow.session), ref, "reject_documents", STAFF, now=OPEN,
             reason="Carte expirée", context={"document": "Carte Quotient Familial"})  # fmt: skip
        uow.commit()

    tally = smtp_dispatcher(db, mailbox.port, clock, folder=tmp_path / "sms").run()

    assert tally.sent == 3  # two emails, one SMS (Paul has no mobile)
    [message] = mailbox.to("f0100.anne@example.org")
    assert message["Subject"] == (
        "Document à renvoyer pour la réinscription 2023/2024 : Carte Quotient Familial"
    )
    text, html = plain_and_html(message)
    assert "avant le mercredi 24 mai 2023 à 23 h 59" in text
    assert "Motif : Carte expirée" in text
    assert "mercredi 24 mai 2023" in html
    [sms] = (tmp_path / "sms").glob("*.txt")
    assert "To: +33612345678" in sms.read_text()


# Failures


def test_a_421_reply_is_retried_later_then_delivered_once(
    db: Database, confirmed: str, mailbox: Mailbox, clock: Clock
) -> None:
    mailbox.data_replies = ["421 4.3.2 Service not available, try later"]
    dispatcher = smtp_dispatcher(db, mailbox.port, clock)

    first = dispatcher.run()

    assert (first.sent, first.retried) == (1, 1)
    [waiting] = [r for r in outbox(db) if r.status == "pending"]
    assert waiting.next_attempt_at > OPEN
    assert "421" in (waiting.last_error or "")
    assert dispatcher.run().total == 0  # not due yet
    clock.now = waiting.next_attempt_at
    assert dispatcher.run().sent == 1
    assert len(mailbox.messages) == 2
    assert len({m["To"] for m in mailbox.messages}) == 2
    assert [r.attempts for r in outbox(db) if r.recipient == waiting.recipient] == [2]


def test_a_550_fails_the_row_without_retry_and_flags_the_guardians_email_as_bounced(
    db: Database, confirmed: str, mailbox: Mailbox, clock: Clock
) -> None:
    mailbox.refuse["f0100.anne@example.org"] = "550 5.1.1 No such user"
    dispatcher = smtp_dispatcher(db, mailbox.port, clock)

    tally = dispatcher.run()
    clock.now += LATER
    again = dispatcher.run()

    assert (tally.sent, tally.failed, again.total) == (1, 1, 0)
    [failed] = [r for r in outbox(db) if r.status == "failed"]
    assert failed.recipient == "f0100.anne@example.org"
    assert failed.attempts == 1
    assert "550" in (failed.last_error or "")
    with db.unit_of_work(read_only=True) as uow:
        flags = uow.session.exec(select(Guardian.email, Guardian.email_bounced)).all()
    assert sorted(flags) == [("f0100.anne@example.org", True), ("f0100.paul@example.org", False)]


def test_with_the_server_down_nothing_is_lost_and_everything_goes_once_it_is_back(
    db: Database, confirmed: str, clock: Clock
) -> None:
    box = Mailbox()  # not started: connections are refused
    dispatcher = smtp_dispatcher(db, box.port, clock)

    down = dispatcher.run()
    clock.now += dt.timedelta(seconds=30)
    still_waiting = dispatcher.run()

    assert (down.retried, still_waiting.total) == (2, 0)
    assert all(r.status == "pending" and r.next_attempt_at > OPEN for r in outbox(db))
    box.start()
    try:
        clock.now += LATER
        back = dispatcher.run()
    finally:
        box.stop()
    assert back.sent == 2
    assert sorted(m["To"] for m in box.messages) == [
        "f0100.anne@example.org",
        "f0100.paul@example.org",
    ]


def test_a_message_that_keeps_failing_is_given_up_after_the_last_attempt(
    db: Database, confirmed: str, clock: Clock
) -> None:
    dispatcher = smtp_dispatcher(db, Mailbox().port, clock)
    dispatcher.policy = RetryPolicy(max_attempts=3, rng=random.Random(1))

    for _ in range(3):
        dispatcher.run()
        clock.now += LATER

    rows = outbox(db)
    assert [(r.status, r.attempts) for r in rows] == [("failed", 3), ("failed", 3)]
    assert all((r.last_error or "").startswith("gave up after 3 attempts") for r in rows)


# Exactly once


def test_dispatch_run_twice_in_a_row_sends_nothing_the_second_time(
    db: Database, confirmed: str, mailbox: Mailbox, clock: Clock
) -> None:
    dispatcher = smtp_dispatcher(db, mailbox.port, clock)

    first, second = dispatcher.run(), dispatcher.run()

    assert (first.sent, second.total) == (2, 0)
    assert len(mailbox.messages) == 2


def test_a_claim_older_than_the_lease_is_taken_back(
    db: Database, confirmed: str, mailbox: Mailbox, clock: Clock
) -> None:
    lease = dt.timedelta(minutes=10)
    with db.unit_of_work() as uow:  # a dispatcher claims both, then is killed
        killed = claim(uow.session, now=OPEN, limit=10, worker="killed", lease=lease)
        uow.commit()
    dispatcher = smtp_dispatcher(db, mailbox.port, clock, worker="survivor", lease=lease)

    clock.now = OPEN + lease / 2
    early = dispatcher.run()
    clock.now = OPEN + lease + dt.timedelta(seconds=1)
    late = dispatcher.run()

    assert len(killed) == 2
    assert (early.total, late.sent) == (0, 2)
    assert len(mailbox.messages) == 2
    assert [(r.status, r.attempts, r.claimed_by) for r in outbox(db)] == [
        ("sent", 2, "survivor"),
        ("sent", 2, "survivor"),
    ]


def test_the_file_channel_writes_one_eml_file_per_message(
    db: Database, confirmed: str, clock: Clock, tmp_path: Path
) -> None:
    files = FileChannel(tmp_path / "outbox", clock=clock)
    dispatcher = Dispatcher(db, files, files, "test", clock)

    tally = dispatcher.run()
    dispatcher.run()

    written = sorted((tmp_path / "outbox").glob("*.eml"))
    assert (tally.sent, len(written)) == (2, 2)
    parsed = [email.message_from_bytes(p.read_bytes(), policy=default_policy) for p in written]
    assert sorted(m["To"] for m in parsed) == ["f0100.anne@example.org", "f0100.paul@example.org"]
    assert all(isinstance(m, Received) and m.is_multipart() for m in parsed)
