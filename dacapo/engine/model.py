"""The engine's view of a dossier and of the changes it asks the store to write.

Plain data: the store (``dacapo.store``) turns rows into a ``DossierRecord`` and
writes a ``Change`` — state, audit row and outbox rows — in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from dacapo.campaigns.schema import Campaign
from dacapo.rules.snapshot import Actor, DossierSnapshot


@dataclass(frozen=True)
class DossierRecord:
    """A dossier as read in the current transaction, with its version counter."""

    ref: str
    version: int
    campaign_id: str
    campaign_version: int
    snapshot: DossierSnapshot
    adult_email: str | None = None


@dataclass(frozen=True)
class Message:
    """One outbox row to queue: a message, a channel, a recipient.

    ``key`` is the idempotency key: the same cause never queues the same
    message twice.
    """

    key: str
    message: str
    template: str
    channel: str
    recipient: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """One transition to persist: the new state, its audit row, its messages."""

    dossier_ref: str
    expected_version: int
    event: str
    from_state: str
    to_state: str
    actor: Actor
    reason: str | None
    effective_at: dt.datetime
    simulated: bool
    campaign_version: int
    house_rules_version: str | None = None
    messages: tuple[Message, ...] = ()


class DossierStore(Protocol):
    """What the engine needs from storage, inside one open transaction."""

    def dossier(self, ref: str) -> DossierRecord: ...

    def campaign(self, campaign_id: str, version: int) -> Campaign: ...

    def apply(self, change: Change) -> int:
        """Write the state, the audit row and the outbox rows; return the audit seq."""
        ...
