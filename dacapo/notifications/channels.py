"""What a channel is: something that sends one rendered message and says how it went.

The dispatcher (``notifications.dispatcher``) claims outbox rows, renders
them, and hands each to the channel of its row (email or SMS). A channel
never touches the database: it answers with a ``Delivery``, and the
dispatcher records it.

A channel may also send in steps (``SplitEmailChannel.begin_email`` gives an
``Exchange``), so that the dispatcher works while the server does; ``Settled``
and ``InOneGo`` give the same shape to a known outcome and to a one-call send.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Protocol, runtime_checkable

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


Reply = Callable[[], Delivery]  # reads how a message that was handed over went


class Exchange(Protocol):
    """A message on its way, in steps: the caller works between them."""

    def proceed(self) -> Reply:
        """Hand over the rest of the message; call the result to read how it went."""
        ...

    def abandon(self) -> None:
        """Give up half-way (the caller failed before ``proceed``, or ``proceed``
        itself did): nothing more of the message goes, the channel starts afresh."""
        ...


@runtime_checkable
class SplitEmailChannel(EmailChannel, Protocol):
    """A channel that sends a message in steps (``SmtpChannel``): the dispatcher
    records the previous result while the server reads the first command, and
    renders the next message while the server takes this one in."""

    def begin_email(self, message: EmailMessage) -> Exchange: ...


class SmsChannel(Protocol):
    def send_sms(self, message: SmsMessage) -> Delivery: ...

    def close(self) -> None: ...


def known(delivery: Delivery) -> Delivery:
    """A ``Reply`` (with ``functools.partial``) for an outcome known already."""
    return delivery


class Settled:
    """The ``Exchange`` of a message whose outcome is known without sending it
    (a template problem, a dossier gone, a bug)."""

    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery

    def proceed(self) -> Reply:
        return partial(known, self.delivery)

    def abandon(self) -> None:
        pass


class InOneGo:
    """The ``Exchange`` of a channel that sends in one call, made in ``proceed``."""

    def __init__(self, send: Callable[[], Delivery]) -> None:
        self.send = send

    def proceed(self) -> Reply:
        return partial(known, self.send())

    def abandon(self) -> None:
        pass
