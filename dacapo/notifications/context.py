"""Build the render context of a message from the campaign and the dossier data.

``build_context`` takes ``rules.snapshot`` guardians, family and students, plus
the French sentences the rules produced for what is missing or deferred, and
returns the template variables: ``MessageContext.variables()``. The data
classes live in ``model`` and are re-exported here.

What depends on the campaign alone (its windows in French, contact, house
rules, portal) is built once per campaign object and shared by every message
of that campaign; ``with_guardian`` readdresses a context to another guardian
without building the rest again. Shared parts are frozen, and templates
cannot modify the lists they hold (the sandbox refuses it).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from zoneinfo import ZoneInfo

from dacapo.campaigns.schema import Campaign, Window
from dacapo.notifications.dates import (
    format_day,
    format_instant,
    format_period,
    format_short,
    format_short_period,
    format_time,
)
from dacapo.notifications.model import (
    CONTEXT_VARIABLES,
    CampaignInfo,
    ContactInfo,
    DeadlineInfo,
    FamilyInfo,
    GuardianInfo,
    HouseRulesInfo,
    MessageContext,
    PortalInfo,
    PupilInfo,
    WindowInfo,
)
from dacapo.rules.snapshot import Family, Guardian, Student

__all__ = [
    "CONTEXT_VARIABLES",
    "CampaignInfo",
    "ContactInfo",
    "DeadlineInfo",
    "FamilyInfo",
    "GuardianInfo",
    "HouseRulesInfo",
    "MessageContext",
    "PortalInfo",
    "PupilInfo",
    "PupilInput",
    "WindowInfo",
    "build_context",
    "build_message_context",
    "deadline_info",
    "french_list",
    "with_guardian",
]


def french_list(items: Iterable[object], conjunction: str = "et") -> str:
    """« Zoé », « Zoé et Léo », « Zoé, Léo et Inès »."""
    words = [str(item) for item in items]
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


@dataclass(frozen=True)
class PupilInput:
    """A pupil the message is about, with where their dossier stands."""

    student: Student
    missing: Sequence[str] = ()
    deferred: Sequence[str] = ()
    state: str | None = None
    workflow: str | None = None  # to find the state's label; else any workflow with it


def _window(campaign: Campaign, pupils: str) -> WindowInfo | None:
    window: Window | None = next((w for w in campaign.windows.values() if w.pupils == pupils), None)
    if window is None:
        return None
    return WindowInfo(
        label=window.label,
        opens=window.opens,
        closes=window.closes,
        opens_text=format_day(window.opens),
        closes_text=format_day(window.closes),
        period=format_period(window.opens, window.closes),
        short_period=format_short_period(window.opens, window.closes),
        on_site=window.channel == "on_site",
        place=window.place,
    )


def _guardian(guardian: Guardian) -> GuardianInfo:
    return GuardianInfo(
        ref=guardian.ref,
        name=guardian.display_name,
        first_name=guardian.first_name,
        last_name=guardian.last_name,
        email=guardian.email,
        mobile=guardian.mobile,
    )


def _pupil(campaign: Campaign, pupil: PupilInput) -> PupilInfo:
    student, catalog = pupil.student, campaign.catalog
    state = pupil.state
    if state is not None:
        flows = [campaign.workflows[pupil.workflow]] if pupil.workflow else []
        flows = flows or list(campaign.workflows.values())
        state = next((f.states[state].label for f in flows if state in f.states), state)
    return PupilInfo(
        ref=student.ref,
        name=student.display_name,
        first_name=student.first_name or student.display_name,
        last_name=student.last_name,
        discipline=catalog.discipline_labels.get(student.discipline or "", student.discipline),
        cycle=catalog.cycle_labels.get(student.cycle or "", student.cycle),
        instrument=student.instrument,
        state=state,
        missing=list(pupil.missing),
        deferred=list(pupil.deferred),
    )


def deadline_info(instant: dt.datetime, zone: ZoneInfo) -> DeadlineInfo:
    """The deadline in words. An exclusive end at local midnight (how windows
    end) reads as 23 h 59 the day before: families act until then."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"the deadline must carry a time zone (got naive {instant.isoformat()})")
    return _deadline_info(instant, zone)


@lru_cache(maxsize=1024)  # a batch of messages shares a few deadlines
def _deadline_info(instant: dt.datetime, zone: ZoneInfo) -> DeadlineInfo:
    local = instant.astimezone(zone)
    shown = local - dt.timedelta(minutes=1) if local.time() == dt.time(0) else local
    return DeadlineInfo(
        utc=instant.astimezone(dt.UTC),
        local=local,
        text=format_instant(shown, zone),
        day=format_day(shown.date()),
        time=format_time(shown, zone),
        short=format_short(shown, zone),
    )


def _short_url(url: str) -> str:
    for prefix in ("https://", "http://", "www."):
        url = url.removeprefix(prefix)
    return url.rstrip("/")


@dataclass(frozen=True)
class _CampaignParts:
    """The parts of every message of one campaign."""

    campaign: CampaignInfo
    contact: ContactInfo
    house_rules: HouseRulesInfo
    portal: PortalInfo | None


def _build_parts(campaign: Campaign) -> _CampaignParts:
    phones = campaign.contact.phones
    labelled = [(phones.accueil, "accueil"), (phones.scolarite, "scolarité")]
    portal, rules = campaign.portal, campaign.house_rules
    return _CampaignParts(
        campaign=CampaignInfo(
            id=campaign.id,
            title=campaign.title,
            school_year=campaign.school_year,
            site=campaign.site.name,
            site_code=campaign.site.code,
            reenrolment_window=_window(campaign, "continuing"),
            new_pupil_window=_window(campaign, "new"),
        ),
        contact=ContactInfo(
            email=campaign.contact.email,
            phone_accueil=phones.accueil,
            phone_scolarite=phones.scolarite,
            phones=[f"{number} ({label})" for number, label in labelled if number],
        ),
        house_rules=HouseRulesInfo(rules.title, rules.url, rules.version, rules.acceptance_text),
        portal=None
        if portal is None
        else PortalInfo(
            url=portal.url,
            short_url=_short_url(portal.url),
            login_label=portal.login_label,
            site_label=portal.site_label,
            credentials=portal.credentials,
            first_login=portal.first_login,
            notes=list(portal.notes),
        ),
    )


# Keyed by the campaign object (frozen; each kept alive by its entry, so its id
# cannot be reused while the entry exists). A process sees a handful of them.
_PARTS: dict[int, tuple[Campaign, _CampaignParts]] = {}
_PARTS_KEPT = 32
_PARTS_LOCK = threading.Lock()


def _campaign_parts(campaign: Campaign) -> _CampaignParts:
    found = _PARTS.get(id(campaign))
    if found is not None and found[0] is campaign:
        return found[1]
    parts = _build_parts(campaign)
    with _PARTS_LOCK:
        while len(_PARTS) >= _PARTS_KEPT:
            del _PARTS[next(iter(_PARTS))]  # the oldest
        _PARTS[id(campaign)] = (campaign, parts)
    return parts


def build_message_context(
    campaign: Campaign,
    *,
    guardian: Guardian,
    family: Family,
    pupils: Sequence[PupilInput | Student],
    deadline_utc: dt.datetime,
    reason: str | None = None,
    document: str | None = None,
    reminder_id: str | None = None,
    family_missing: Sequence[str] = (),
) -> MessageContext:
    inputs = [p if isinstance(p, PupilInput) else PupilInput(p) for p in pupils]
    last_names = dict.fromkeys(g.last_name for g in family.guardians if g.last_name)
    parts = _campaign_parts(campaign)
    return MessageContext(
        campaign=parts.campaign,
        family=FamilyInfo(
            ref=family.ref,
            name=french_list(last_names) or family.ref,
            guardians=[_guardian(g) for g in family.guardians],
            address=family.address,
            postcode=family.postcode,
            city=family.city,
            missing=list(family_missing),
        ),
        guardian=_guardian(guardian),
        pupils=[_pupil(campaign, p) for p in inputs],
        deadline=deadline_info(deadline_utc, campaign.zone),
        contact=parts.contact,
        house_rules=parts.house_rules,
        portal=parts.portal,
        reason=reason,
        document=document,
        reminder_id=reminder_id,
    )


def with_guardian(context: MessageContext, guardian: Guardian) -> MessageContext:
    """The same message addressed to ``guardian`` (everything else shared)."""
    return replace(context, guardian=_guardian(guardian))


def build_context(
    campaign: Campaign,
    *,
    guardian: Guardian,
    family: Family,
    pupils: Sequence[PupilInput | Student],
    deadline_utc: dt.datetime,
    reason: str | None = None,
    document: str | None = None,
    reminder_id: str | None = None,
    family_missing: Sequence[str] = (),
) -> dict[str, object]:
    """The template variables (``CONTEXT_VARIABLES``) for one message."""
    return build_message_context(
        campaign,
        guardian=guardian,
        family=family,
        pupils=pupils,
        deadline_utc=deadline_utc,
        reason=reason,
        document=document,
        reminder_id=reminder_id,
        family_missing=family_missing,
    ).variables()
