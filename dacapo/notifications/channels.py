"""What a channel is: something that sends one rendered message and says how it went.

The dispatcher (``notifications.dispatcher``) claims outbox rows, renders
them, and hands each to the channel of its row (email or SMS). A channel
never touches the database: it answers with a ``Delivery``, and the
dispatcher records it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from dacapo.notifications.render import RenderedEmail, RenderedSms


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # transient: try again later (SMTP 4xx, refused, timeout, HTTP 429/5xx)
    FAILED = "failed"  # permanent: never retried (SMTP 5xx, HTTP 4xx)


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    detail: str = ""
    retry_after: dt.timedelta | None = None  # a server's own delay (HTTP Retry-After)
    bounced: bool = False  # the address itself was refused: flag it on the guardian


@dataclass(frozen=True)
class EmailMessage:
    key: str  # the outbox idempotency key; the Message-ID derives from it
    recipient: str
    rendered: RenderedEmail


@dataclass(frozen=True)
class SmsMessage:
    key: str
    recipient: str  # E.164
    rendered: RenderedSms


class EmailChannel(Protocol):
    def send_email(self, message: EmailMessage) -> Delivery: ...

    def close(self) -> None: ...


class SmsChannel(Protocol):
    def send_sms(self, message: SmsMessage) -> Delivery: ...

    def close(self) -> None: ...
