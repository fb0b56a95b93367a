"""The campaign file's schema: pure data, validated by pydantic.

Everything a conservatoire's guide says is expressed here as data: windows,
workflows, required fields, documents with their alternatives and validity,
conditions (structured, never evaluated as Python), answers, reminders and
messages. Cross-field consistency (graphs, names, dates) lives in
``campaigns.checks``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

SCHEMA_VERSION = 1

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(StrEnum):
    GUARDIAN = "guardian"
    ADULT_STUDENT = "adult_student"
    STAFF = "staff"
    SYSTEM = "system"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class Level(StrEnum):
    FAMILY = "family"
    STUDENT = "student"


class Site(Model):
    code: Name
    name: Text


class Phones(Model):
    accueil: Text | None = None
    scolarite: Text | None = None


class Contact(Model):
    email: Text
    phones: Phones = Phones()


class Portal(Model):
    """How families reach the online service (the guide's « Se connecter »)."""

    url: Text
    login_label: Text = "Accès usager"
    site_label: Text | None = None
    credentials: Text | None = None
    first_login: Text | None = None
    notes: list[Text] = []


class HouseRules(Model):
    title: Text
    url: Text
    version: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    acceptance_text: Text


class Condition(Model):
    """A structured condition over a snapshot field, never evaluated as code.

    Exactly one form: ``field`` with ``equals`` / ``in`` / ``present``, or
    ``all`` / ``any`` (lists of conditions), or ``not`` (one condition).
    """

    field: str | None = None
    equals: str | int | bool | None = None
    in_: list[str] | None = Field(default=None, alias="in")
    present: bool | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        composite = [k for k in ("all", "any", "not_") if getattr(self, k) is not None]
        tests = [k for k in ("equals", "in_", "present") if getattr(self, k) is not None]
        if self.field is None:
            if tests:
                raise ValueError("'equals', 'in' and 'present' need a 'field'")
            if len(composite) != 1:
                raise ValueError("a condition needs exactly one of 'field', 'all', 'any', 'not'")
        else:
            if composite:
                raise ValueError("a 'field' condition cannot also hold 'all', 'any' or 'not'")
            if len(tests) != 1:
                raise ValueError(
                    "a 'field' condition needs exactly one of 'equals', 'in', 'present'"
                )
        for key in ("all", "any"):
            members = getattr(self, key)
            if members is not None and not members:
                raise ValueError(f"'{key}' needs at least one condition")
        return self


class Window(Model):
    label: Text
    opens: dt.date
    closes: dt.date
    opens_at: dt.time | None = None
    closes_at: dt.time | None = None
    channel: Literal["online", "on_site"]
    pupils: Literal["continuing", "new"]
    workflow: Name
    place: Text | None = None


MessageEvent = Literal[
    "invitation",
    "confirmation",
    "lapse",
    "document_rejected",
    "new_pupil_window",
    "withdrawal",
    "deferred_documents",
]


class StateSpec(Model):
    label: Text


class TransitionSpec(Model):
    """One event of a workflow. ``notify`` names the message it queues, if any."""

    event: Name
    from_: list[str] | Literal["*"] = Field(alias="from")
    to: Name
    by: list[Role] = Field(min_length=1)
    guards: list[str] = []
    reason_required: bool = False
    reopen: bool = False
    accepts_house_rules: bool = False
    notify: MessageEvent | None = None
    label: Text | None = None


class Workflow(Model):
    label: Text
    initial: Name
    success: Name
    final: list[Name] = Field(min_length=1)
    states: dict[Name, StateSpec] = Field(min_length=1)
    transitions: list[TransitionSpec] = Field(min_length=1)

    def sources(self, transition: TransitionSpec) -> list[str]:
        """The states a transition leaves from, with ``*`` = every non-final state."""
        if transition.from_ == "*":
            return [s for s in self.states if s not in self.final]
        return list(transition.from_)


class FieldRequirement(Model):
    field: str
    label: Text | None = None
    when: Condition | None = None


class AcceptedDocument(Model):
    """One kind of document that satisfies a requirement, with its constraints."""

    kind: Name
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    tax_year: int | None = Field(default=None, ge=1990, le=2100)
    income_year: int | None = Field(default=None, ge=1990, le=2100)
    issued_on_or_after: dt.date | None = None
    max_age_days: int | None = Field(default=None, ge=1, le=3650)
    signed: bool = False


class Deferred(Model):
    """A document handed in later (the dance certificate at the first class).

    ``chase_on`` (local date, at ``chase_at``): the day families still owing it
    are reminded, with the ``deferred_documents`` message.
    """

    due: dt.date
    note: Text
    chase_on: dt.date | None = None
    chase_at: dt.time = dt.time(10, 0)


class DocumentRequirement(Model):
    label: Text
    level: Level
    accepts: list[AcceptedDocument]
    when: Condition | None = None
    deferred: Deferred | None = None

    @field_validator("accepts")
    @classmethod
    def _has_alternative(cls, value: list[AcceptedDocument]) -> list[AcceptedDocument]:
        if not value:
            raise ValueError("no accepted document: list at least one kind (alternatives are OR)")
        return value


class DocumentKind(Model):
    label: Text


class RemarksSpec(Model):
    label: Text
    help: Text
    max_length: int = Field(default=2000, ge=1, le=20000)


class IntentSpec(Model):
    label: Text
    required: bool = True


class PreferencesSpec(Model):
    label: Text
    help: Text | None = None
    when: Condition | None = None
    min_choices: int = Field(default=1, ge=1)
    max_choices: int | None = Field(default=None, ge=1)
    choices: list[Text] = Field(min_length=1)


class SupportSpec(Model):
    label: Text
    follow_up: Text


class Answers(Model):
    remarks: RemarksSpec
    intent: IntentSpec
    preferences: PreferencesSpec | None = None
    support: SupportSpec | None = None


class Requirements(Model):
    fields: list[FieldRequirement] = []
    formats: dict[str, str] = {}
    documents: dict[Name, DocumentRequirement] = {}


class Catalog(Model):
    """The vocabularies conditions and preferences may name."""

    disciplines: list[Name] = Field(min_length=1)
    cycles: list[Name] = Field(min_length=1)
    instruments: list[Text] = []
    discipline_labels: dict[Name, Text] = {}
    cycle_labels: dict[Name, Text] = {}


class Confirmation(Model):
    mode: Literal["automatic", "staff_review"]


class Reminder(Model):
    id: Name
    window: Name
    days_before_close: int = Field(ge=0, le=365)
    at: dt.time
    audience: Literal["not_final"] = "not_final"
    missing: list[str] = []
    channels: list[Channel] = Field(min_length=1)
    template: Name
    max_lateness_hours: int = Field(default=12, ge=0, le=168)


class MessageSpec(Model):
    template: Name
    channels: list[Channel] = Field(min_length=1)


class Notifications(Model):
    templates_dir: str | None = None
    messages: dict[MessageEvent, MessageSpec] = {}


class Campaign(Model):
    """A whole re-enrolment campaign, as written by the administrators."""

    schema_version: Literal[1]
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
    site: Site
    title: Text
    school_year: Annotated[str, StringConstraints(pattern=r"^\d{4}/\d{4}$")]
    school_year_starts: dt.date
    locale: Literal["fr"]
    timezone: str
    contact: Contact
    portal: Portal | None = None
    house_rules: HouseRules
    catalog: Catalog
    windows: dict[Name, Window] = Field(min_length=1)
    workflows: dict[Name, Workflow] = Field(min_length=1)
    requirements: Requirements
    answers: Answers
    document_kinds: dict[Name, DocumentKind] = Field(min_length=1)
    confirmation: Confirmation
    reminders: list[Reminder] = []
    notifications: Notifications = Notifications()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            message = f"unknown time zone {value!r} (an IANA name such as 'Europe/Paris')"
            raise ValueError(message) from None
        return value

    @field_validator("school_year")
    @classmethod
    def _consecutive_years(cls, value: str) -> str:
        first, second = (int(x) for x in value.split("/"))
        if second != first + 1:
            raise ValueError(f"school year {value!r} must span two consecutive years")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def window_for(self, workflow: str) -> list[str]:
        return [name for name, w in self.windows.items() if w.workflow == workflow]


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of a campaign file."""
    schema = Campaign.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://dacapo.example.org/schema/campaign-1.json"
    return schema
