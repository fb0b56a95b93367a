"""The bundled Malakoff campaign and a typical family: two guardians, three pupils.

The campaign is validated straight from the YAML (no loader), so these tests
only depend on the schema.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from ruamel.yaml import YAML

from dacapo.campaigns.schema import Campaign, Role
from dacapo.rules.findings import Finding, GuardContext, Status
from dacapo.rules.snapshot import (
    Actor,
    Answers,
    Document,
    DocumentStatus,
    DossierSnapshot,
    Family,
    Guardian,
    Student,
)

ROOT = Path(__file__).parents[3]
PARIS = ZoneInfo("Europe/Paris")
# Mid-window: Monday 15 May 2023, 10:00 in Malakoff.
NOW = dt.datetime(2023, 5, 15, 10, 0, tzinfo=PARIS)


def load_campaign() -> Campaign:
    with (ROOT / "campaign-2023-2024.yaml").open(encoding="utf-8") as stream:
        data = YAML(typ="safe").load(stream)
    return Campaign.model_validate(data)


CAMPAIGN = load_campaign()

MARIE = Guardian("G-1", "Dupont", "Marie", "marie.dupont@example.fr", "06 12 34 56 78")
PAUL = Guardian("G-2", "Martin", "Paul", "Paul.Martin@example.fr", "07 61 23 45 67")
FAMILY = Family("F-1", "12 rue Pierre Larousse", "92240", "Malakoff", (MARIE, PAUL))

PUPILS = {
    "dance": Student(
        "S-ZOE", "Martin", "Zoé", dt.date(2012, 3, 14), "danse", "cycle_2",
        school="Collège Paul Bert", school_level="5e",
    ),
    "eveil": Student(
        "S-LEO", "Martin", "Léo", dt.date(2018, 6, 2), "musique", "eveil",
        school="École Jean Jaurès", school_level="Grande section",
    ),
    "adult": Student(
        "S-CAM", "Martin", "Camille", dt.date(2003, 11, 20), "musique", "adulte", "Piano",
        email="camille.martin@example.fr", mobile="0692 12 34 56",
    ),
}  # fmt: skip

PAYMENT_FORM = Document("D-PAY", "payment_form", DocumentStatus.ACCEPTED, signed=True)
QUOTIENT_CARD = Document(
    "D-QF", "quotient_card", valid_from=dt.date(2023, 1, 1), valid_until=dt.date(2023, 12, 31)
)
TAX_NOTICE = Document("D-TAX", "tax_notice", tax_year=2022, income_year=2021)


def photo(student: str, issued: dt.date | None = dt.date(2023, 3, 1), **changes: Any) -> Document:
    return Document(f"D-PHOTO-{student}", "id_photo", student_ref=student, issued=issued, **changes)


def make_snapshot(pupil: str = "dance", **changes: Any) -> DossierSnapshot:
    """A complete dossier at ``invited``: every field, document and answer given.

    Each test removes or spoils exactly what it is about.
    """
    student = PUPILS[pupil]
    preferences = ("Éveil musical", "Piano") if pupil == "eveil" else ()
    snapshot = DossierSnapshot(
        ref=f"DOS-{student.ref}",
        workflow="reenrolment",
        window="reenrolment",
        state="invited",
        family=FAMILY,
        student=student,
        documents=(PAYMENT_FORM, QUOTIENT_CARD, photo(student.ref)),
        answers=Answers(intent=True, preferences=preferences),
        house_rules_version="2023",
    )
    return dataclasses.replace(snapshot, **changes)


def with_student(snapshot: DossierSnapshot, **changes: Any) -> DossierSnapshot:
    return dataclasses.replace(snapshot, student=dataclasses.replace(snapshot.student, **changes))


def with_family(snapshot: DossierSnapshot, **changes: Any) -> DossierSnapshot:
    return dataclasses.replace(snapshot, family=dataclasses.replace(snapshot.family, **changes))


def context(
    snapshot: DossierSnapshot | None = None,
    now: dt.datetime = NOW,
    actor: Actor | None = None,
    event: str | None = None,
    reason: str | None = None,
    campaign: Campaign = CAMPAIGN,
) -> GuardContext:
    snapshot = snapshot or make_snapshot()
    transition = None
    if event is not None:
        workflow = campaign.workflows[snapshot.workflow]
        transition = next(t for t in workflow.transitions if t.event == event)
    return GuardContext(campaign, snapshot, now, actor, transition, reason)


def guardian(email: str = MARIE.email or "") -> Actor:
    return Actor(Role.GUARDIAN, email)


def unmet_messages(findings: list[Finding]) -> list[str]:
    return [f.message for f in findings if f.status is Status.UNMET]


def by_code(findings: list[Finding], prefix: str) -> list[Finding]:
    return [f for f in findings if f.code.startswith(prefix)]


@pytest.fixture
def campaign() -> Campaign:
    return CAMPAIGN
