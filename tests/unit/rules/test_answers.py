"""The family's answers: intent, éveil preferences, house rules."""

from __future__ import annotations

import pytest

from dacapo.rules.answers import house_rules_accepted, intent_declared, preferences_ranked
from dacapo.rules.findings import Finding, Status
from dacapo.rules.snapshot import Answers
from tests.unit.rules.conftest import CAMPAIGN, context, make_snapshot, with_student


class TestIntent:
    def judge(self, intent: bool | None, campaign: object = CAMPAIGN) -> list[Finding]:
        snapshot = make_snapshot(answers=Answers(intent=intent))
        return intent_declared(context(snapshot, campaign=campaign))  # type: ignore[arg-type]

    def test_the_ticked_box_meets_the_requirement(self) -> None:
        (finding,) = self.judge(True)
        assert (finding.code, finding.status) == ("intent.declared", Status.MET)
        assert finding.subject == "Zoé Martin"

    def test_an_unticked_box_asks_to_tick_it(self) -> None:
        (finding,) = self.judge(None)
        assert finding.code == "intent.missing"
        assert finding.message == "Cocher la case « Réinscription administrative »"
        assert finding.item == "intent"

    def test_a_declared_stop_asks_staff_to_record_the_withdrawal(self) -> None:
        (finding,) = self.judge(False)
        assert finding.code == "intent.declined"
        assert finding.status is Status.UNMET
        assert "ne pas poursuivre" in finding.message
        assert "désistement" in finding.message

    def test_an_optional_intent_left_blank_is_not_judged(self) -> None:
        answers = CAMPAIGN.answers.model_copy(
            update={"intent": CAMPAIGN.answers.intent.model_copy(update={"required": False})}
        )
        optional = CAMPAIGN.model_copy(update={"answers": answers})
        assert self.judge(None, optional) == []
        assert [f.code for f in self.judge(False, optional)] == ["intent.declined"]


class TestEveilPreferences:
    def judge(self, *preferences: str, pupil: str = "eveil") -> list[Finding]:
        snapshot = make_snapshot(pupil, answers=Answers(intent=True, preferences=preferences))
        return preferences_ranked(context(snapshot))

    def test_two_known_choices_in_order_meet_the_requirement(self) -> None:
        (finding,) = self.judge("Éveil danse", " Piano ")
        assert finding.code == "preferences.ranked"
        assert finding.message == "Éveil : préférences indiquées (1. Éveil danse, 2. Piano)"
        assert finding.subject == "Léo Martin"

    def test_one_choice_is_too_few(self) -> None:
        (finding,) = self.judge("Piano")
        assert finding.code == "preferences.too_few"
        assert finding.message == (
            "Éveil : indiquer au moins 2 activités ou instruments par ordre de préférence"
            " (un seul indiqué)"
        )

    def test_no_choice_at_all_is_too_few(self) -> None:
        (finding,) = self.judge("", "  ")
        assert finding.message.endswith("(aucun indiqué)")

    def test_six_choices_are_too_many(self) -> None:
        choices = ("Piano", "Violon", "Chant", "Guitare", "Clarinette", "Trompette")
        (finding,) = self.judge(*choices)
        assert finding.code == "preferences.too_many"
        assert finding.message == "Éveil : indiquer au plus 5 activités ou instruments (6 indiqués)"

    def test_a_choice_given_twice_is_a_duplicate_and_counts_once(self) -> None:
        findings = self.judge("Piano", "Piano")
        assert [f.code for f in findings] == ["preferences.too_few", "preferences.duplicate"]
        assert findings[1].message == (
            "Éveil : choix répété « Piano » : chaque choix ne compte qu'une fois"
        )

    def test_an_unknown_choice_is_named_and_the_catalogue_offered(self) -> None:
        findings = self.judge("Piano", "Batterie")
        assert [f.code for f in findings] == ["preferences.too_few", "preferences.unknown_choice"]
        assert findings[1].message.startswith(
            "Éveil : choix inconnu « Batterie » (au choix : Éveil musical, Éveil danse, Violon"
        )

    def test_choices_are_matched_exactly(self) -> None:
        findings = self.judge("piano", "Éveil musical")
        assert "preferences.unknown_choice" in [f.code for f in findings]

    @pytest.mark.parametrize("pupil", ["dance", "adult"])
    def test_pupils_outside_eveil_are_not_asked(self, pupil: str) -> None:
        assert self.judge(pupil=pupil) == []

    def test_a_pupil_moved_out_of_eveil_is_not_asked(self) -> None:
        snapshot = with_student(make_snapshot("eveil"), cycle="initiation")
        assert preferences_ranked(context(snapshot)) == []


class TestHouseRules:
    def judge(self, version: str | None) -> Finding:
        (finding,) = house_rules_accepted(context(make_snapshot(house_rules_version=version)))
        return finding

    def test_the_current_version_accepted_meets_the_requirement(self) -> None:
        finding = self.judge("2023")
        assert (finding.code, finding.status) == ("house_rules.accepted", Status.MET)
        assert finding.message == (
            "Règlement intérieur du Conservatoire de Malakoff (version 2023) accepté"
        )

    def test_rules_never_accepted_are_to_accept_with_the_button(self) -> None:
        finding = self.judge(None)
        assert finding.code == "house_rules.missing"
        assert finding.item == "house_rules"
        assert finding.message == (
            "Règlement intérieur du Conservatoire de Malakoff (version 2023) "
            "à accepter avec « J'accepte »"
        )

    def test_last_years_version_does_not_count_and_is_named(self) -> None:
        finding = self.judge("2022")
        assert finding.code == "house_rules.outdated"
        assert finding.status is Status.UNMET
        assert finding.message.endswith(" : seule la version 2022 a été acceptée")
