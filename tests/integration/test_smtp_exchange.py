"""The SMTP channel in steps (``begin_email``, ``proceed``, the reply), against a real
aiosmtpd server on loopback: what arrives, and what each server answer becomes."""

from __future__ import annotations

import datetime as dt

from dacapo.notifications.channels import EmailMessage, Outcome
from dacapo.notifications.render import RenderedEmail
from dacapo.notifications.smtp import SmtpChannel
from tests.smtp_mailbox import Mailbox

NOW = dt.datetime(2023, 5, 15, 8, 0, tzinfo=dt.UTC)


def message(key: str, recipient: str, text: str = "Bonjour,\n") -> EmailMessage:
    return EmailMessage(key, recipient, RenderedEmail("Réinscription", text, None))


def channel(mailbox: Mailbox) -> SmtpChannel:
    return SmtpChannel("127.0.0.1", mailbox.port, timeout=5, clock=lambda: NOW)


def test_a_message_arrives_only_once_its_reply_is_read_in_three_steps(mailbox: Mailbox) -> None:
    smtp = channel(mailbox)
    exchange = smtp.begin_email(message("k1", "anne@example.org"))
    reply = exchange.proceed()

    delivery = reply()

    smtp.close()
    assert delivery.outcome is Outcome.SENT
    [received] = mailbox.to("anne@example.org")
    assert received["Subject"] == "Réinscription"


def test_lines_starting_with_a_dot_arrive_unchanged(mailbox: Mailbox) -> None:
    smtp = channel(mailbox)
    text = "Bonjour,\n.\n..deux points\n.fin\n"

    delivery = smtp.send_email(message("k1", "anne@example.org", text))

    smtp.close()
    assert delivery.outcome is Outcome.SENT
    [received] = mailbox.messages
    body = received.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == text


def test_a_refused_message_leaves_the_connection_fit_for_the_next_one(mailbox: Mailbox) -> None:
    mailbox.data_replies = ["554 5.6.0 Message refused"]
    smtp = channel(mailbox)

    refused = smtp.send_email(message("k1", "anne@example.org"))
    accepted = smtp.send_email(message("k2", "paul@example.org"))

    smtp.close()
    assert (refused.outcome, accepted.outcome) == (Outcome.FAILED, Outcome.SENT)
    assert "554" in refused.detail
    assert [m["To"] for m in mailbox.messages] == ["paul@example.org"]


def test_a_refused_recipient_is_a_bounce_and_the_next_message_still_goes(
    mailbox: Mailbox,
) -> None:
    mailbox.refuse["anne@example.org"] = "550 5.1.1 No such user"
    smtp = channel(mailbox)

    refused = smtp.send_email(message("k1", "anne@example.org"))
    accepted = smtp.send_email(message("k2", "paul@example.org"))

    smtp.close()
    assert (refused.outcome, refused.bounced) == (Outcome.FAILED, True)
    assert accepted.outcome is Outcome.SENT


def test_a_connection_the_server_dropped_is_reopened_once(mailbox: Mailbox) -> None:
    smtp = channel(mailbox)
    assert smtp.send_email(message("k1", "anne@example.org")).outcome is Outcome.SENT
    mailbox.stop()  # the server goes away and comes back: the open connection is dead
    mailbox.start()

    again = smtp.send_email(message("k2", "paul@example.org"))

    smtp.close()
    assert again.outcome is Outcome.SENT
    assert [m["To"] for m in mailbox.messages] == ["anne@example.org", "paul@example.org"]


def test_an_abandoned_exchange_sends_nothing_and_the_next_one_reconnects(
    mailbox: Mailbox,
) -> None:
    smtp = channel(mailbox)
    abandoned = smtp.begin_email(message("k1", "anne@example.org"))

    abandoned.abandon()
    delivery = smtp.send_email(message("k2", "paul@example.org"))

    smtp.close()
    assert delivery.outcome is Outcome.SENT
    assert [m["To"] for m in mailbox.messages] == ["paul@example.org"]


def test_with_no_server_the_message_is_retried_later() -> None:
    smtp = SmtpChannel("127.0.0.1", Mailbox().port, timeout=5, clock=lambda: NOW)

    delivery = smtp.begin_email(message("k1", "anne@example.org")).proceed()()

    assert delivery.outcome is Outcome.RETRY
    assert "Connection" in delivery.detail or "refused" in delivery.detail
