"""The render context of a message: plain frozen data, dates already in French.

``context.build_context`` fills it; ``MessageContext.variables()`` are the
template's top-level variables, described in ``CONTEXT_VARIABLES`` (for the
docs and for ``catalog.check_templates``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class WindowInfo:
    label: str
    opens: dt.date
    closes: dt.date
    opens_text: str  # « mercredi 10 mai 2023 »
    closes_text: str  # « mercredi 24 mai 2023 »
    period: str  # « du 10 au 24 mai 2023 »
    short_period: str  # « du 10/05 au 24/05/2023 » (SMS)
    on_site: bool
    place: str | None = None


@dataclass(frozen=True)
class CampaignInfo:
    id: str
    title: str
    school_year: str  # « 2023/2024 »
    site: str  # « Conservatoire de Malakoff »
    site_code: str
    reenrolment_window: WindowInfo | None  # the first window for continuing pupils
    new_pupil_window: WindowInfo | None  # the first window for new pupils


@dataclass(frozen=True)
class GuardianInfo:
    ref: str
    name: str  # « Claire Lefèvre-Durand », or the ref when no name is known
    first_name: str | None
    last_name: str | None
    email: str | None
    mobile: str | None


@dataclass(frozen=True)
class FamilyInfo:
    ref: str
    name: str  # the guardians' last names: « Lefèvre-Durand et N'Diaye »
    guardians: list[GuardianInfo]
    address: str | None
    postcode: str | None
    city: str | None
    missing: list[str] = field(default_factory=list)  # family-level requirements unmet


@dataclass(frozen=True)
class PupilInfo:
    ref: str
    name: str  # « Zoé Lefèvre-Durand »
    first_name: str  # falls back to ``name``
    last_name: str | None
    discipline: str | None  # label: « Danse »
    cycle: str | None  # label: « 1er cycle »
    instrument: str | None
    state: str | None  # label: « Documents fournis »
    missing: list[str] = field(default_factory=list)  # French sentences, one per requirement
    deferred: list[str] = field(default_factory=list)  # handed in later (dance certificate)

    @property
    def details(self) -> str:
        """« Danse, 1er cycle »: the labels that are known, or an empty string."""
        return ", ".join(p for p in (self.discipline, self.cycle, self.instrument) if p)

    @property
    def complete(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class DeadlineInfo:
    utc: dt.datetime
    local: dt.datetime  # in the campaign's zone
    text: str  # « mercredi 24 mai 2023 à 23 h 59 »
    day: str  # « mercredi 24 mai 2023 »
    time: str  # « 23 h 59 »
    short: str  # « 24/05 à 23 h 59 » (SMS)


@dataclass(frozen=True)
class ContactInfo:
    email: str
    phone_accueil: str | None
    phone_scolarite: str | None
    phones: list[str]  # « 01 55 48 04 10 (accueil) », « 01 55 48 04 19 (scolarité) »


@dataclass(frozen=True)
class HouseRulesInfo:
    title: str
    url: str
    version: str
    acceptance_text: str


@dataclass(frozen=True)
class PortalInfo:
    url: str
    short_url: str  # « imuse-valleesud.fr/extranet » (SMS)
    login_label: str  # « Accès usager »
    site_label: str | None
    credentials: str | None
    first_login: str | None
    notes: list[str]


@dataclass(frozen=True)
class MessageContext:
    """Everything a template may use; ``variables()`` gives the top-level names."""

    campaign: CampaignInfo
    family: FamilyInfo
    guardian: GuardianInfo
    pupils: list[PupilInfo]
    deadline: DeadlineInfo
    contact: ContactInfo
    house_rules: HouseRulesInfo
    portal: PortalInfo | None
    reason: str | None = None
    document: str | None = None
    reminder_id: str | None = None

    def variables(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# Every class a template can reach from the context: frozen data, nothing callable.
CONTEXT_CLASSES: tuple[type, ...] = (
    WindowInfo,
    CampaignInfo,
    GuardianInfo,
    FamilyInfo,
    PupilInfo,
    DeadlineInfo,
    ContactInfo,
    HouseRulesInfo,
    PortalInfo,
    MessageContext,
)

CONTEXT_VARIABLES: dict[str, str] = {
    "campaign": "the campaign: id, title, school_year, site (name), site_code,"
    " reenrolment_window and new_pupil_window (label, opens, closes, opens_text,"
    " closes_text, period, short_period, on_site, place; None when the campaign has none)",
    "family": "the family account: ref, name (guardians' last names), guardians,"
    " address, postcode, city, missing (family-level requirements still unmet)",
    "guardian": "the recipient: ref, name, first_name, last_name, email, mobile",
    "pupils": "the pupils concerned, in order: ref, name, first_name, last_name,"
    " discipline, cycle, instrument (labels), state (label), missing and deferred"
    " (French sentences), details (« Danse, 1er cycle »), complete",
    "deadline": "the instant families must act by: utc, local, text (« mercredi 24 mai"
    " 2023 à 23 h 59 »), day, time, short (« 24/05 à 23 h 59 », for SMS)",
    "contact": "the scolarité: email, phone_accueil, phone_scolarite, phones (labelled)",
    "house_rules": "the house rules: title, url, version, acceptance_text",
    "portal": "the online service, or None: url, short_url, login_label, site_label,"
    " credentials, first_login, notes",
    "reason": "why a document was rejected (document_rejected), else None",
    "document": "the label of the rejected document (document_rejected) or of the deferred"
    " requirement chased (deferred_documents), else None",
    "reminder_id": "the campaign's reminder id for reminders, else None",
}
