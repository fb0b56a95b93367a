"""Who receives a family's messages: every guardian, and an adult pupil, once each."""

from __future__ import annotations

from dacapo.campaigns.schema import Campaign, Channel
from dacapo.engine.model import DossierRecord
from dacapo.rules.fields import is_adult
from dacapo.rules.formats import parse_fr_mobile


def recipients(campaign: Campaign, record: DossierRecord, channel: Channel) -> list[str]:
    """Addresses for ``channel``, without duplicates (emails compared case-insensitively).

    Email: every guardian with an address, and the pupil's own address when the
    pupil is an adult. SMS: valid mobiles only, as E.164.
    """
    snapshot = record.snapshot
    adult = is_adult(snapshot, campaign.school_year_starts)
    found: dict[str, str] = {}
    if channel is Channel.EMAIL:
        candidates = [g.email for g in snapshot.family.guardians]
        if adult:
            candidates.append(record.adult_email or snapshot.student.email)
        for email in candidates:
            if email and email.strip():
                found.setdefault(email.strip().lower(), email.strip())
    else:
        candidates = [g.mobile for g in snapshot.family.guardians]
        if adult:
            candidates.append(snapshot.student.mobile)
        for mobile in candidates:
            if not mobile:
                continue
            try:
                e164 = parse_fr_mobile(mobile)
            except ValueError:
                continue
            found.setdefault(e164, e164)
    return list(found.values())
