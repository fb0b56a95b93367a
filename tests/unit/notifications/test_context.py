"""The render context: what templates see, prepared in French from the dossier data."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from dacapo.campaigns.schema import Campaign
from dacapo.notifications.context import (
    CONTEXT_VARIABLES,
    MessageContext,
    PupilInfo,
    build_message_context,
    french_list,
)

from .conftest import CLAIRE, FAMILY, LAST_MINUTE, LEO, ZOE


def test_the_context_provides_exactly_the_documented_variables(
    context: dict[str, object],
) -> None:
    assert set(context) == set(CONTEXT_VARIABLES)
    assert [f.name for f in dataclasses.fields(MessageContext)] == list(CONTEXT_VARIABLES)


def test_pupils_carry_labels_from_the_campaign_catalogue(context: dict[str, object]) -> None:
    pupils = context["pupils"]
    assert isinstance(pupils, list)
    zoe, leo = pupils
    assert isinstance(zoe, PupilInfo)
    assert isinstance(leo, PupilInfo)
    assert (zoe.name, zoe.discipline, zoe.cycle, zoe.details) == (
        "Zoé Lefèvre-Durand",
        "Danse",
        "1er cycle",
        "Danse, 1er cycle",
    )
    assert (leo.cycle, leo.state) == ("Éveil", "Coordonnées vérifiées")
    assert zoe.deferred
    assert not leo.deferred


def test_the_deadline_is_prepared_in_french_in_the_campaign_zone(
    context: dict[str, object],
) -> None:
    deadline = context["deadline"]
    assert deadline.text == "mercredi 24 mai 2023 à 23 h 59"  # type: ignore[attr-defined]
    assert deadline.short == "24/05 à 23 h 59"  # type: ignore[attr-defined]
    assert deadline.utc == LAST_MINUTE  # type: ignore[attr-defined]


def test_a_naive_deadline_is_refused(campaign: Campaign) -> None:
    with pytest.raises(ValueError, match="naive"):
        build_message_context(
            campaign,
            guardian=CLAIRE,
            family=FAMILY,
            pupils=[ZOE],
            deadline_utc=dt.datetime(2023, 5, 24, 23, 59),
        )


def test_the_family_is_named_after_its_guardians(context: dict[str, object]) -> None:
    assert context["family"].name == "Lefèvre-Durand et N'Diaye"  # type: ignore[attr-defined]


def test_the_windows_portal_and_contacts_come_from_the_campaign(campaign: Campaign) -> None:
    message = build_message_context(
        campaign, guardian=CLAIRE, family=FAMILY, pupils=[ZOE, LEO], deadline_utc=LAST_MINUTE
    )
    assert message.campaign.reenrolment_window is not None
    assert message.campaign.reenrolment_window.period == "du 10 au 24 mai 2023"
    assert message.campaign.new_pupil_window is not None
    assert message.campaign.new_pupil_window.place == "Conservatoire de Malakoff"
    assert message.portal is not None
    assert message.portal.short_url == "imuse-valleesud.fr/extranet"
    assert message.contact.phones == ["01 55 48 04 10 (accueil)", "01 55 48 04 19 (scolarité)"]
    assert message.house_rules.version == "2023"
    assert (message.reason, message.document, message.reminder_id) == (None, None, None)


def test_french_lists_join_with_et() -> None:
    assert french_list([]) == ""
    assert french_list(["Zoé"]) == "Zoé"
    assert french_list(["Zoé", "Léo", "Inès"]) == "Zoé, Léo et Inès"
    assert french_list(["a", "b"], "ou") == "a ou b"
