"""A realistic Malakoff family and the bundled campaign, for the template tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from dacapo.campaigns.schema import Campaign
from dacapo.notifications.context import PupilInput, build_context
from dacapo.notifications.render import Renderer
from dacapo.rules.snapshot import Family, Guardian, Student

CAMPAIGN_FILE = Path(__file__).parents[3] / "campaign-2023-2024.yaml"

# 24 May 2023, 23:59 in Paris (UTC+2): the last minute of the window.
LAST_MINUTE = dt.datetime(2023, 5, 24, 21, 59, tzinfo=dt.UTC)

CLAIRE = Guardian("g-1", "Lefèvre-Durand", "Claire", "claire.lefevre@example.org", "06 12 34 56 78")
MOUSSA = Guardian("g-2", "N'Diaye", "Moussa", "moussa.ndiaye@example.org", "07 98 76 54 32")
FAMILY = Family("fam-42", "12 rue Pierre-Larousse", "92240", "Malakoff", (CLAIRE, MOUSSA))
ZOE = Student("s-1", "Lefèvre-Durand", "Zoé", dt.date(2012, 3, 14), "danse", "cycle_1")
LEO = Student("s-2", "N'Diaye", "Léo", dt.date(2018, 9, 2), "musique", "eveil")

PHOTO = "Photo d'identité récente de l'élève (moins d'un an) : à transférer dans « Élèves »"
PREFERENCES = "Activité ou instrument choisi, par ordre de préférence : 2 choix au moins"
CERTIFICATE = (
    "Certificat médical de non-contre-indication à la pratique de la danse,"
    " daté à partir du 1er juillet 2023 : à remettre au premier cours en septembre"
)
FAMILY_MISSING = [
    "Formulaire de modalité de paiement complété et signé",
    "Carte Quotient Familial Mairie de Malakoff (validité du 01/01/2023 au 31/12/2023)"
    " ou avis d'imposition 2022 sur les revenus 2021",
]
REASON = "Carte Quotient Familial expirée le 31/12/2022 — ou avis d'imposition 2022"


def load_campaign() -> Campaign:
    return Campaign.model_validate(YAML(typ="safe").load(CAMPAIGN_FILE.read_text("utf-8")))


@pytest.fixture(scope="session")
def campaign() -> Campaign:
    return load_campaign()


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    return Renderer()


def malakoff_context(campaign: Campaign, **changes: object) -> dict[str, object]:
    """Claire writes for Zoé (danse) and Léo (éveil): everything still to do."""
    arguments: dict[str, object] = {
        "guardian": CLAIRE,
        "family": FAMILY,
        "pupils": [
            PupilInput(ZOE, [PHOTO], [CERTIFICATE], "invited", "reenrolment"),
            PupilInput(LEO, [PHOTO, PREFERENCES], [], "identity_verified", "reenrolment"),
        ],
        "deadline_utc": LAST_MINUTE,
        "family_missing": FAMILY_MISSING,
        "reason": REASON,
        "document": "Carte Quotient Familial Mairie de Malakoff",
        "reminder_id": "documents_missing",
    }
    arguments.update(changes)
    return build_context(campaign, **arguments)  # type: ignore[arg-type]


@pytest.fixture
def context(campaign: Campaign) -> dict[str, object]:
    return malakoff_context(campaign)
