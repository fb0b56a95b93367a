"""Who receives a family's messages: every guardian, and an adult pupil, once each.

``recipients`` answers for one dossier read by the engine. Bulk paths (closing
a window) read the guardians of many families at once and build ``Contacts``
themselves; both go through ``addresses``, so the rules are written once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from dacapo.campaigns.schema import Campaign, Channel
from dacapo.engine.model import DossierRecord
from dacapo.rules.fields import is_adult
from dacapo.rules.formats import parse_fr_mobile


@dataclass(frozen=True, slots=True)
class Contacts:
    """What the address rules look at for one pupil's messages.

    ``guardians``: each guardian's ``(email, mobile)``, in position order.
    ``adult``: the pupil is an adult, so their own ``email``/``mobile`` count too.
    """

    guardians: tuple[tuple[str | None, str | None], ...]
    adult: bool = False
    email: str | None = None
    mobile: str | None = None


@functools.lru_cache(maxsize=4096)  # bulk paths: siblings share their guardians' contacts
def addresses(contacts: Contacts, channel: Channel) -> tuple[str, ...]:
    """Addresses for ``channel``, without duplicates (emails compared case-insensitively).

    Email: every guardian with an address, and the pupil's own address when the
    pupil is an adult. SMS: valid mobiles only, as E.164.
    """
    found: dict[str, str] = {}
    if channel is Channel.EMAIL:
        candidates = [email for email, _ in contacts.guardians]
        if contacts.adult:
            candidates.append(contacts.email)
        for email in candidates:
            if email and email.strip():
                found.setdefault(email.strip().lower(), email.strip())
    else:
        candidates = [mobile for _, mobile in contacts.guardians]
        if contacts.adult:
            candidates.append(contacts.mobile)
        for mobile in candidates:
            if not mobile:
                continue
            try:
                e164 = parse_fr_mobile(mobile)
            except ValueError:
                continue
            found.setdefault(e164, e164)
    return tuple(found.values())


def contacts_of(campaign: Campaign, record: DossierRecord) -> Contacts:
    """The contacts of a dossier as the engine reads it."""
    snapshot = record.snapshot
    return Contacts(
        guardians=tuple((g.email, g.mobile) for g in snapshot.family.guardians),
        adult=is_adult(snapshot, campaign.school_year_starts),
        email=record.adult_email or snapshot.student.email,
        mobile=snapshot.student.mobile,
    )


def recipients(campaign: Campaign, record: DossierRecord, channel: Channel) -> list[str]:
    """Addresses for ``channel`` of the dossier ``record`` (see ``addresses``)."""
    return list(addresses(contacts_of(campaign, record), channel))
