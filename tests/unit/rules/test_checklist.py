"""`dacapo dossier check`: the next step and everything still ahead of a dossier."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from dacapo.campaigns.schema import Role
from dacapo.rules import GUARDS, checklist
from dacapo.rules.checklist import evaluate, requirement_items, success_path
from dacapo.rules.findings import Status
from dacapo.rules.snapshot import Actor, DossierSnapshot, Guardian
from tests.unit.rules.conftest import (
    CAMPAIGN,
    FAMILY,
    NOW,
    PARIS,
    PAYMENT_FORM,
    QUOTIENT_CARD,
    context,
    make_snapshot,
    with_family,
)

REENROLMENT = CAMPAIGN.workflows["reenrolment"]


def unfinished(pupil: str = "dance", state: str = "invited") -> DossierSnapshot:
    """A dossier with a bad SMS number, no photo and the rules not yet accepted."""
    marie = Guardian("G-1", "Dupont", "Marie", "marie.dupont@example.fr", "06 12 34 56 78 mère")
    snapshot = make_snapshot(
        pupil,
        state=state,
        documents=(PAYMENT_FORM, QUOTIENT_CARD),
        house_rules_version=None,
    )
    return with_family(snapshot, guardians=(marie, *FAMILY.guardians[1:]))


class TestAtInvited:
    def test_the_next_step_is_checking_details_within_the_window(self) -> None:
        result = checklist(CAMPAIGN, unfinished(), NOW)
        assert result.next_event == "verify_identity"
        prefixes = {f.code.split(":")[0] for f in result.next_step}
        assert prefixes == {"window.open", "fields.present", "formats.valid", "formats.invalid"}
        assert [f.code for f in result.next_step if f.blocking] == [
            "formats.invalid:guardian.mobile"
        ]

    def test_the_whole_list_covers_every_remaining_guard_in_path_order(self) -> None:
        result = checklist(CAMPAIGN, unfinished(), NOW)
        assert [f.code for f in result.unmet] == [
            "formats.invalid:guardian.mobile",
            "documents.missing:id_photo",
            "house_rules.missing",
        ]
        assert [f.code for f in result.deferred] == ["documents.deferred:medical_certificate"]
        assert not result.complete
        items = list(dict.fromkeys(f.item for f in result.whole))
        assert items == [
            "window",
            "fields",
            "formats",
            "payment_form",
            "income_evidence",
            "id_photo",
            "medical_certificate",
            "intent",
            "house_rules",
        ]

    def test_findings_shared_by_several_steps_appear_once(self) -> None:
        result = checklist(CAMPAIGN, unfinished(), NOW)
        keys = [(f.code, f.subject) for f in result.whole]
        assert len(keys) == len(set(keys))
        assert sum(f.code == "window.open" for f in result.whole) == 1

    def test_actor_findings_are_never_part_of_a_checklist(self) -> None:
        result = checklist(CAMPAIGN, unfinished(), NOW)
        assert not [f for f in result.whole if f.item == "actor"]

    def test_eveil_preferences_are_listed_for_an_eveil_pupil(self) -> None:
        result = checklist(CAMPAIGN, unfinished("eveil"), NOW)
        assert "preferences.ranked" in [f.code for f in result.met]
        assert result.deferred == []

    def test_after_the_close_the_window_blocks_the_family(self) -> None:
        after = dt.datetime(2023, 5, 25, 8, tzinfo=PARIS)
        result = checklist(CAMPAIGN, make_snapshot(), after)
        assert [f.code for f in result.next_step if f.blocking] == ["window.closed"]

    def test_a_complete_dossier_is_complete_with_only_the_certificate_deferred(self) -> None:
        result = checklist(CAMPAIGN, make_snapshot("dance"), NOW)
        assert result.complete
        assert [f.item for f in result.deferred] == ["medical_certificate"]
        assert len(result.met) + len(result.deferred) == len(result.whole)


class TestLaterStates:
    def test_at_rules_accepted_the_next_step_is_confirmation_without_the_window(self) -> None:
        after = dt.datetime(2023, 5, 26, 9, tzinfo=PARIS)
        result = checklist(CAMPAIGN, unfinished(state="rules_accepted"), after)
        assert result.next_event == "confirm"
        assert result.next_step == result.whole
        assert not [f for f in result.whole if f.item == "window"]
        assert [f.code for f in result.unmet] == [
            "formats.invalid:guardian.mobile",
            "documents.missing:id_photo",
            "house_rules.missing",
        ]

    def test_at_rules_accepted_preferences_are_behind_us_but_intent_is_checked_again(
        self,
    ) -> None:
        result = checklist(CAMPAIGN, unfinished("eveil", state="rules_accepted"), NOW)
        assert not [f for f in result.whole if f.item == "preferences"]
        assert [f.code for f in result.whole if f.item == "intent"] == ["intent.declared"]

    def test_at_documents_supplied_the_next_step_only_needs_the_window(self) -> None:
        result = checklist(CAMPAIGN, make_snapshot(state="documents_supplied"), NOW)
        assert result.next_event == "accept_rules"
        assert [f.code for f in result.next_step] == ["window.open"]

    def test_a_confirmed_dossier_still_lists_its_deferred_documents(self) -> None:
        result = checklist(CAMPAIGN, make_snapshot("dance", state="confirmed"), NOW)
        assert result.next_event is None
        assert result.next_step == []
        assert [f.status for f in result.whole] == [Status.DEFERRED]
        assert result.complete

    def test_a_confirmed_dossier_without_deferred_documents_lists_nothing(self) -> None:
        result = checklist(CAMPAIGN, make_snapshot("eveil", state="confirmed"), NOW)
        assert (result.next_event, result.whole) == (None, [])

    @pytest.mark.parametrize("state", ["withdrawn", "lapsed"])
    def test_a_dossier_that_stopped_lists_nothing(self, state: str) -> None:
        result = checklist(CAMPAIGN, make_snapshot("dance", state=state), NOW)
        assert (result.next_event, result.next_step, result.whole) == (None, [], [])

    def test_a_new_pupil_wish_goes_through_an_offer_before_enrolment(self) -> None:
        snapshot = make_snapshot(
            "eveil", workflow="new_pupil", window="new_pupils", state="wish_registered"
        )
        result = checklist(CAMPAIGN, snapshot, NOW)
        assert result.next_event == "offer"
        assert result.next_step == []
        assert {f.item for f in result.whole} == {"fields", "formats"}

    def test_a_naive_now_is_refused(self) -> None:
        with pytest.raises(ValueError, match="time zone"):
            checklist(CAMPAIGN, make_snapshot(), dt.datetime(2023, 5, 15, 10))


class TestSuccessPath:
    def test_the_path_from_invited_takes_the_four_ordinary_steps(self) -> None:
        path = success_path(REENROLMENT, "invited")
        assert [t.event for t in path] == [
            "verify_identity",
            "supply_documents",
            "accept_rules",
            "confirm",
        ]

    def test_reopening_is_never_part_of_the_path(self) -> None:
        assert success_path(REENROLMENT, "lapsed") == []

    def test_the_success_state_has_an_empty_path(self) -> None:
        assert success_path(REENROLMENT, "confirmed") == []


class TestRegistry:
    def test_the_registry_holds_the_eight_guards(self) -> None:
        assert set(GUARDS) == {
            "window_open",
            "actor_allowed",
            "required_fields",
            "field_formats",
            "documents_present",
            "intent_declared",
            "preferences_ranked",
            "house_rules_accepted",
        }
        assert all(g.description for g in GUARDS.values())

    def test_every_guard_named_by_the_bundled_campaign_is_registered(self) -> None:
        named = {g for w in CAMPAIGN.workflows.values() for t in w.transitions for g in t.guards}
        assert named <= set(GUARDS)

    def test_evaluate_runs_the_named_guards_in_order(self) -> None:
        ctx = context(
            make_snapshot(house_rules_version=None),
            actor=Actor(Role.SYSTEM, "scheduler"),
            event="confirm",
        )
        codes = [f.code for f in evaluate(["house_rules_accepted", "actor_allowed"], ctx)]
        assert codes == ["house_rules.missing", "actor.allowed"]

    def test_evaluate_refuses_an_unknown_guard(self) -> None:
        with pytest.raises(KeyError):
            evaluate(["paid_in_full"], context())

    def test_requirement_items_are_what_reminders_may_ask_for(self) -> None:
        assert requirement_items(CAMPAIGN) == {
            "payment_form",
            "income_evidence",
            "id_photo",
            "medical_certificate",
            "fields",
            "formats",
            "intent",
            "preferences",
            "house_rules",
            "window",
            "actor",
        }

    def test_preferences_are_no_item_when_the_campaign_asks_none(self) -> None:
        answers = CAMPAIGN.answers.model_copy(update={"preferences": None})
        campaign = CAMPAIGN.model_copy(update={"answers": answers})
        assert "preferences" not in requirement_items(campaign)

    def test_the_bundled_reminders_ask_for_known_items(self) -> None:
        for reminder in CAMPAIGN.reminders:
            assert set(reminder.missing) <= requirement_items(CAMPAIGN)

    def test_every_finding_item_is_a_requirement_item(self) -> None:
        snapshot = dataclasses.replace(unfinished("eveil"), answers=make_snapshot("eveil").answers)
        items = {f.item for f in checklist(CAMPAIGN, snapshot, NOW).whole}
        assert items <= requirement_items(CAMPAIGN)
