"""What each kind of pupil must give, from the campaign's structured conditions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from dacapo.campaigns.categories import (
    Facts,
    RequirementRow,
    describe_condition,
    evaluate,
    requirement_rows,
)
from dacapo.campaigns.schema import Campaign, Condition

BUNDLED = Path(__file__).parents[3] / "campaign-2023-2024.yaml"


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return Campaign.model_validate(YAML(typ="safe").load(BUNDLED.read_text()))


@pytest.fixture(scope="module")
def rows(campaign: Campaign) -> dict[str, RequirementRow]:
    return {row.category.label: row for row in requirement_rows(campaign)}


def cond(data: dict[str, Any]) -> Condition:
    return Condition.model_validate(data)


DANCE_MINOR: Facts = {
    "student.discipline": frozenset({"danse"}),
    "student.cycle": frozenset({"cycle_1", "cycle_2"}),
    "student.adult": frozenset({False}),
}


class TestEvaluate:
    @pytest.mark.parametrize(
        ("data", "expected"),
        [
            ({"field": "student.discipline", "equals": "danse"}, True),
            ({"field": "student.discipline", "equals": "musique"}, False),
            ({"field": "student.adult", "equals": False}, True),
            ({"field": "student.adult", "equals": 0}, False),
            ({"field": "student.cycle", "equals": "cycle_1"}, None),
            ({"field": "student.cycle", "in": ["cycle_1", "cycle_2"]}, True),
            ({"field": "student.cycle", "in": ["eveil"]}, False),
            ({"field": "student.instrument", "equals": "Piano"}, None),
            ({"field": "student.discipline", "present": True}, True),
            ({"not": {"field": "student.adult", "equals": True}}, True),
            ({"not": {"field": "student.instrument", "present": True}}, None),
        ],
    )
    def test_a_field_condition_holds_for_all_none_or_some_of_a_category(
        self, data: dict[str, Any], expected: bool | None
    ) -> None:
        assert evaluate(cond(data), DANCE_MINOR) is expected

    def test_all_and_any_follow_three_valued_logic(self) -> None:
        dance = {"field": "student.discipline", "equals": "danse"}
        music = {"field": "student.discipline", "equals": "musique"}
        unknown = {"field": "student.instrument", "equals": "Piano"}
        assert evaluate(cond({"all": [dance, unknown]}), DANCE_MINOR) is None
        assert evaluate(cond({"all": [music, unknown]}), DANCE_MINOR) is False
        assert evaluate(cond({"any": [dance, unknown]}), DANCE_MINOR) is True
        assert evaluate(cond({"any": [music, unknown]}), DANCE_MINOR) is None
        assert evaluate(cond({"any": [music, music]}), DANCE_MINOR) is False

    def test_a_condition_reads_as_words(self) -> None:
        condition = cond(
            {
                "any": [
                    {"field": "student.cycle", "in": ["cycle_2", "cycle_3"]},
                    {
                        "all": [
                            {"field": "student.adult", "equals": True},
                            {"not": {"field": "x", "present": True}},
                        ]
                    },
                ]
            }
        )
        assert describe_condition(condition) == (
            "student.cycle in (cycle_2, cycle_3) or (student.adult = true and not x is given)"
        )


class TestRequirementRows:
    def test_disciplines_that_need_the_same_share_a_row(
        self, rows: dict[str, RequirementRow]
    ) -> None:
        assert list(rows) == [
            "Musique, Théâtre — minor",
            "Danse — minor",
            "Musique, Théâtre — éveil",
            "Danse — éveil",
            "Musique, Théâtre — adult",
            "Danse — adult",
        ]
        category = rows["Danse — adult"].category
        assert (category.disciplines, category.eveil, category.adult) == (("danse",), False, True)

    def test_only_dance_pupils_hand_in_a_medical_certificate_later(
        self, rows: dict[str, RequirementRow]
    ) -> None:
        for label, row in rows.items():
            documents = {d.name: d for d in row.documents}
            assert ("medical_certificate" in documents) == label.startswith("Danse"), label
        certificate = {d.name: d for d in rows["Danse — minor"].documents}["medical_certificate"]
        assert certificate.deferred == "due 2023-09-30: à remettre au premier cours en septembre"
        assert certificate.alternatives == ("Certificat médical (issued on or after 2023-07-01)",)
        assert certificate.depends_on is None

    def test_income_evidence_lists_both_alternatives_with_their_constraints(
        self, rows: dict[str, RequirementRow]
    ) -> None:
        documents = {d.name: d for d in rows["Musique, Théâtre — minor"].documents}
        assert documents["income_evidence"].alternatives == (
            "Carte Quotient Familial Mairie de Malakoff (valid from 2023-01-01, "
            "valid until 2023-12-31)",
            "Avis d'imposition (tax year 2022, income year 2021)",
        )
        assert documents["payment_form"].alternatives == (
            "Formulaire de modalité de paiement (signed)",
        )
        assert documents["id_photo"].level == "student"

    def test_only_eveil_pupils_rank_their_preferences(
        self, rows: dict[str, RequirementRow]
    ) -> None:
        for label, row in rows.items():
            answers = {a.name for a in row.answers}
            assert ("preferences" in answers) == label.endswith("éveil"), label
            assert {"remarks", "intent", "support"} <= answers
        preferences = {a.name: a for a in rows["Danse — éveil"].answers}["preferences"]
        assert preferences.detail == "2 to 5 ranked choices among 11"

    def test_adults_give_no_school_details(self, rows: dict[str, RequirementRow]) -> None:
        for label, row in rows.items():
            required = {f.field for f in row.fields if f.required}
            school = {"student.school", "student.school_level"}
            assert (school <= required) == (not label.endswith("adult")), label
            assert "student.birth_date" in required

    def test_formats_show_on_required_and_optional_fields(
        self, rows: dict[str, RequirementRow]
    ) -> None:
        fields = {f.field: f for f in rows["Musique, Théâtre — minor"].fields}
        assert (fields["guardian.email"].required, fields["guardian.email"].format) == (
            True,
            "email",
        )
        assert (fields["guardian.mobile"].required, fields["guardian.mobile"].format) == (
            False,
            "fr_mobile",
        )

    def test_a_condition_the_category_cannot_decide_is_shown_as_depending(
        self, campaign: Campaign
    ) -> None:
        certificate = campaign.requirements.documents["medical_certificate"]
        upper_cycles = cond({"field": "student.cycle", "in": ["cycle_2", "cycle_3"]})
        documents = {
            **campaign.requirements.documents,
            "medical_certificate": certificate.model_copy(update={"when": upper_cycles}),
        }
        requirements = campaign.requirements.model_copy(update={"documents": documents})
        changed = campaign.model_copy(update={"requirements": requirements})
        rows = {row.category.label: row for row in requirement_rows(changed)}
        assert list(rows) == [
            "Musique, Danse, Théâtre — minor",
            "Musique, Danse, Théâtre — éveil",
            "Musique, Danse, Théâtre — adult",
        ]
        minor = {d.name: d for d in rows["Musique, Danse, Théâtre — minor"].documents}
        assert minor["medical_certificate"].depends_on == "student.cycle in (cycle_2, cycle_3)"
        eveil = {d.name for d in rows["Musique, Danse, Théâtre — éveil"].documents}
        assert "medical_certificate" not in eveil
