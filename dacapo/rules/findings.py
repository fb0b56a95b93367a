"""What a rule answers: findings with a stable code and a French sentence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from dacapo.campaigns.schema import Campaign, TransitionSpec
from dacapo.rules.snapshot import Actor, DossierSnapshot


class Status(StrEnum):
    MET = "met"
    UNMET = "unmet"
    DEFERRED = "deferred"


@dataclass(frozen=True)
class Finding:
    """One requirement and where the dossier stands on it.

    ``code`` is stable (scripts and ``--missing`` filter on it); ``message`` is
    the sentence a secretary reads to a parent, in the campaign's language.
    ``item`` names the campaign item concerned (a document requirement, a field,
    ``house_rules``...) so reminders can target "only those missing X".
    """

    code: str
    status: Status
    message: str
    item: str
    subject: str | None = None

    @property
    def blocking(self) -> bool:
        return self.status is Status.UNMET


def unmet(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.status is Status.UNMET]


@dataclass(frozen=True)
class GuardContext:
    """Everything a guard may look at. ``now`` is always timezone-aware."""

    campaign: Campaign
    snapshot: DossierSnapshot
    now: dt.datetime
    actor: Actor | None = None
    transition: TransitionSpec | None = None
    reason: str | None = None
