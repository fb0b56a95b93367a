"""What the bundled campaign says should happen: the model the state machine test checks
the engine against.

Written from the campaign file and the French guide, not from the engine's code: who may
fire which event from which state, when the window is open (inclusive local dates in
Europe/Paris, a per-dossier extension moving the last day), which evidence satisfies
which requirement, and which messages a transition queues for whom. Pure: no database.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from dacapo.campaigns.schema import Campaign, Role, TransitionSpec
from dacapo.engine.errors import BadInput, DacapoError, FileRefused, GuardFailed
from dacapo.rules.snapshot import Actor

PARIS = ZoneInfo("Europe/Paris")
WORKFLOW = "reenrolment"
RULES_VERSION = "2023"
OPENS = dt.date(2023, 5, 10)
CLOSES = dt.date(2023, 5, 24)
SYSTEM = Actor(Role.SYSTEM, "dacapo")
STAFF = Actor(Role.STAFF, "secretariat")


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=PARIS).astimezone(dt.UTC)


@dataclass(frozen=True)
class DocChoice:
    """One document the desk may add: its kind, what is read on it, whether it counts."""

    name: str
    kind: str
    level: str  # "family" or "student"
    satisfies: str | None  # the requirement it meets, None if it meets none
    issued: dt.date | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    tax_year: int | None = None
    income_year: int | None = None
    signed: bool = False


DOCUMENTS = (
    DocChoice("signed form", "payment_form", "family", "payment_form", signed=True),
    DocChoice("unsigned form", "payment_form", "family", None),
    DocChoice(
        "quotient card 2023",
        "quotient_card",
        "family",
        "income_evidence",
        valid_from=dt.date(2023, 1, 1),
        valid_until=dt.date(2023, 12, 31),
    ),
    DocChoice(
        "expired quotient card",
        "quotient_card",
        "family",
        None,
        valid_from=dt.date(2022, 1, 1),
        valid_until=dt.date(2022, 12, 31),
    ),
    DocChoice(
        "tax notice 2022",
        "tax_notice",
        "family",
        "income_evidence",
        tax_year=2022,
        income_year=2021,
    ),
    DocChoice("tax notice 2021", "tax_notice", "family", None, tax_year=2021, income_year=2020),
    DocChoice("recent photo", "id_photo", "student", "id_photo", issued=dt.date(2023, 3, 1)),
    DocChoice("old photo", "id_photo", "student", None, issued=dt.date(2021, 1, 15)),
    DocChoice(
        "dance certificate", "medical_certificate", "student", None, issued=dt.date(2023, 7, 3)
    ),
)
# A family without a city: its own field and the pupil's (which falls back to it) are missing.
INCOMPLETE = ("fields.missing:family.city", "fields.missing:student.city")
REQUIREMENT_KINDS = {
    "payment_form": {"payment_form"},
    "income_evidence": {"quotient_card", "tax_notice"},
    "id_photo": {"id_photo"},
}


@dataclass
class Doc:
    id: int
    choice: DocChoice
    pupil: int | None  # index of the pupil for a student-level document
    status: str = "pending"


@dataclass
class Pupil:
    """One pupil's dossier as the model expects it to be."""

    ref: str
    student_ref: str
    kind: str  # child, eveil, dance, adult, nearly_adult
    dossier_id: int
    email: str | None
    state: str = "invited"
    version: int = 1
    deadline: dt.date | None = None
    house_rules: str | None = None
    intent: bool | None = True
    preferences: tuple[str, ...] = ()
    remarks: str = ""
    audit_rows: int = 0
    transitions: int = 0
    messages: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    @property
    def adult(self) -> bool:
        return self.kind == "adult"


@dataclass
class FamilyModel:
    ref: str
    emails: tuple[str, ...]  # the guardians' addresses
    mobiles: tuple[str, ...]  # the guardians' valid mobiles (E.164)
    complete: bool  # False: the family's city is missing
    pupils: list[Pupil]
    documents: list[Doc] = field(default_factory=list)


class Spec:
    """The reenrolment workflow of the bundled campaign, read as data."""

    def __init__(self, campaign: Campaign) -> None:
        workflow = campaign.workflows[WORKFLOW]
        self.campaign = campaign
        self.states = set(workflow.states)
        self.final = set(workflow.final)
        self.events = {t.event for t in workflow.transitions}
        self.transitions: dict[tuple[str, str], TransitionSpec] = {}
        for transition in workflow.transitions:
            sources = (
                [s for s in workflow.states if s not in workflow.final]
                if transition.from_ == "*"
                else list(transition.from_)
            )
            for source in sources:
                self.transitions[source, transition.event] = transition

    def allowed(self, state: str) -> list[str]:
        return [event for (source, event) in self.transitions if source == state]

    def messages(self, family: FamilyModel, pupil: Pupil, notify: str | None) -> Counter[tuple]:
        """The (message, channel, recipient) rows a transition notifying ``notify`` queues."""
        if notify is None:
            return Counter()
        spec = self.campaign.notifications.messages[notify]
        emails = {e.lower(): e for e in family.emails}
        if pupil.adult and pupil.email:
            emails.setdefault(pupil.email.lower(), pupil.email)
        found: Counter[tuple] = Counter()
        for channel in spec.channels:
            addresses = list(emails.values()) if channel.value == "email" else family.mobiles
            found.update((notify, channel.value, address) for address in dict.fromkeys(addresses))
        return found


def window_codes(actor: Actor, now: dt.datetime, deadline: dt.date | None, reason: str) -> set:
    start = local_midnight(OPENS)
    end = local_midnight(max(CLOSES, deadline or CLOSES) + dt.timedelta(days=1))
    if start <= now < end or actor.role is Role.SYSTEM:
        return set()
    if actor.role is Role.STAFF and reason.strip():
        return set()
    return {"window.not_open_yet" if now < start else "window.closed"}


def actor_codes(
    actor: Actor,
    by: tuple[Role, ...],
    family: FamilyModel,
    pupil: Pupil,
    *,
    reason: str,
    reason_required: bool = False,
) -> set[str]:
    codes: set[str] = set()
    if actor.role not in by:
        codes.add("actor.role_not_allowed")
    elif actor.role is Role.GUARDIAN:
        if actor.id.strip().casefold() not in {e.casefold() for e in family.emails}:
            codes.add("actor.not_guardian")
    elif actor.role is Role.ADULT_STUDENT:
        if actor.id != pupil.student_ref:
            codes.add("actor.not_student")
        elif not pupil.adult:
            codes.add("actor.student_minor")
    if reason_required and not reason.strip():
        codes.add("actor.reason_missing")
    return codes


def document_codes(family: FamilyModel, index: int) -> set[str]:
    """The unmet evidence of pupil ``index``: missing, invalid or rejected, by requirement."""
    codes = set()
    for requirement, kinds in REQUIREMENT_KINDS.items():
        owner = index if requirement == "id_photo" else None
        candidates = [d for d in family.documents if d.choice.kind in kinds and d.pupil == owner]
        usable = [d for d in candidates if d.status != "rejected"]
        if any(d.choice.satisfies == requirement for d in usable):
            continue
        problem = "missing" if not candidates else "invalid" if usable else "rejected"
        codes.add(f"documents.{problem}:{requirement}")
    return codes


def guard_codes(family: FamilyModel, index: int, guard: str) -> set[str]:
    """The unmet findings of one of the transition's own guards (actor and window aside)."""
    pupil = family.pupils[index]
    if guard == "required_fields":
        return set() if family.complete else set(INCOMPLETE)
    if guard == "documents_present":
        return document_codes(family, index)
    if guard == "intent_declared":
        return {True: set(), False: {"intent.declined"}, None: {"intent.missing"}}[pupil.intent]
    if guard == "preferences_ranked":
        return (
            {"preferences.too_few"}
            if pupil.kind == "eveil" and len(pupil.preferences) < 2
            else set()
        )
    if guard == "house_rules_accepted":
        return set() if pupil.house_rules == RULES_VERSION else {"house_rules.missing"}
    if guard in ("field_formats", "window_open", "actor_allowed"):
        return set()
    raise AssertionError(f"guard {guard!r} is not modelled")


def fire_codes(
    spec: Spec,
    family: FamilyModel,
    index: int,
    transition: TransitionSpec,
    actor: Actor,
    now: dt.datetime,
    reason: str,
) -> set[str]:
    """Every unmet requirement ``fire`` should name, or the empty set if it should succeed."""
    pupil = family.pupils[index]
    codes = actor_codes(
        actor,
        tuple(transition.by),
        family,
        pupil,
        reason=reason,
        reason_required=transition.reason_required,
    )
    codes |= window_codes(actor, now, pupil.deadline, reason)
    for guard in transition.guards:
        codes |= guard_codes(family, index, guard)
    return codes


# Corrections and the desk: which refusal (an error class) to expect, or None


def extension_refusal(
    spec: Spec,
    family: FamilyModel,
    index: int,
    until: dt.date,
    actor: Actor,
    now: dt.datetime,
    reason: str,
    *,
    reopened: bool = False,
) -> type[DacapoError] | None:
    """``extend_deadline``: a reason and a day on or after the close, by staff, on an open
    dossier (``reopened``: in the unit of work that has just reopened it)."""
    pupil = family.pupils[index]
    if not reason.strip() or until < CLOSES:
        return BadInput
    codes = actor_codes(actor, (Role.STAFF,), family, pupil, reason=reason)
    codes |= window_codes(actor, now, pupil.deadline, reason)
    if pupil.state in spec.final and not reopened:
        codes.add("state.final")
    return GuardFailed if codes else None


def answer_refusal(
    family: FamilyModel, index: int, stored: tuple, actor: Actor, now: dt.datetime, reason: str
) -> type[DacapoError] | None:
    """``record_answers``: something valid to record, by the family or staff, in time."""
    if BadInput in stored or stored == (None, None, None):
        return BadInput
    pupil = family.pupils[index]
    family_and_staff = (Role.GUARDIAN, Role.ADULT_STUDENT, Role.STAFF)
    codes = actor_codes(actor, family_and_staff, family, pupil, reason=reason)
    codes |= window_codes(actor, now, pupil.deadline, reason)
    return GuardFailed if codes else None


def document_refusal(
    kinds: Collection[str],
    family: FamilyModel,
    index: int,
    choice: DocChoice,
    kind: str,
    actor: Actor,
    by_dossier: bool,
    not_an_image: bool,
) -> type[DacapoError] | None:
    """``add_document``: a known kind, a pupil's document named by its dossier, staff or
    the family acting, content that is a scan (documents have no window)."""
    if kind not in kinds or (choice.level == "student" and not by_dossier):
        return BadInput
    pupil = family.pupils[index]
    guardian = actor.role is Role.GUARDIAN and not actor_codes(
        actor, (Role.GUARDIAN,), family, pupil, reason=""
    )
    # An adult pupil of the family, for the family's documents or their own.
    student = (
        actor.role is Role.ADULT_STUDENT
        and actor.id in {p.student_ref for p in family.pupils if p.adult}
        and (choice.level == "family" or actor.id == pupil.student_ref)
    )
    if not (actor.role is Role.STAFF or guardian or student):
        return GuardFailed
    return FileRefused if not_an_image else None


def review_refusal(doc: Doc, decision: str, actor: Actor, reason: str) -> type[DacapoError] | None:
    """``review_document``: staff only, a reason to reject, not the same decision twice."""
    if actor.role is not Role.STAFF:
        return GuardFailed
    if decision == "reject" and not reason.strip():
        return BadInput
    if doc.status == ("accepted" if decision == "accept" else "rejected"):
        return DacapoError  # « already accepted » (or rejected)
    return None
