"""Structured ``when:`` conditions, evaluated over snapshots."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dacapo.campaigns.schema import Condition
from dacapo.rules.conditions import condition_fields, holds
from dacapo.rules.snapshot import Guardian
from tests.unit.rules.conftest import MARIE, make_snapshot, with_family, with_student

STARTS = dt.date(2023, 9, 1)


def when(data: dict[str, Any]) -> Condition:
    return Condition.model_validate(data)


@pytest.mark.parametrize(
    ("data", "pupil", "expected"),
    [
        ({"field": "student.discipline", "equals": "danse"}, "dance", True),
        ({"field": "student.discipline", "equals": "danse"}, "eveil", False),
        ({"field": "student.cycle", "in": ["eveil", "initiation"]}, "eveil", True),
        ({"field": "student.cycle", "in": ["eveil", "initiation"]}, "dance", False),
        ({"field": "student.adult", "equals": False}, "dance", True),
        ({"field": "student.adult", "equals": False}, "adult", False),
        ({"field": "student.adult", "equals": True}, "adult", True),
        ({"field": "student.instrument", "present": True}, "adult", True),
        ({"field": "student.instrument", "present": False}, "dance", True),
        ({"field": "student.birth_date", "equals": "2012-03-14"}, "dance", True),
        ({"not": {"field": "student.discipline", "equals": "danse"}}, "dance", False),
        (
            {
                "all": [
                    {"field": "student.discipline", "equals": "musique"},
                    {"field": "student.cycle", "equals": "eveil"},
                ]
            },
            "eveil",
            True,
        ),
        (
            {
                "all": [
                    {"field": "student.discipline", "equals": "musique"},
                    {"field": "student.cycle", "equals": "eveil"},
                ]
            },
            "adult",
            False,
        ),
        (
            {
                "any": [
                    {"field": "student.discipline", "equals": "danse"},
                    {"field": "student.cycle", "equals": "eveil"},
                ]
            },
            "eveil",
            True,
        ),
    ],
)
def test_conditions_hold_as_written(data: dict[str, Any], pupil: str, expected: bool) -> None:
    assert holds(when(data), make_snapshot(pupil), STARTS) is expected


def test_a_boolean_never_equals_a_number() -> None:
    # In Python True == 1: a condition on ``student.adult`` must not read 1 as yes.
    assert not holds(when({"field": "student.adult", "equals": 1}), make_snapshot("adult"), STARTS)


def test_surrounding_spaces_in_a_value_do_not_matter() -> None:
    snapshot = with_student(make_snapshot(), discipline=" danse ")
    assert holds(when({"field": "student.discipline", "equals": "danse"}), snapshot, STARTS)


def test_a_guardian_condition_holds_when_any_guardian_matches() -> None:
    no_mobile = Guardian("G-3", "Martin", "Paul", "paul@example.fr", None)
    snapshot = with_family(make_snapshot(), guardians=(MARIE, no_mobile))
    assert holds(when({"field": "guardian.mobile", "present": False}), snapshot, STARTS)
    assert holds(when({"field": "guardian.mobile", "present": True}), snapshot, STARTS)


def test_a_family_without_guardians_holds_nothing_about_them() -> None:
    snapshot = with_family(make_snapshot(), guardians=())
    assert not holds(when({"field": "guardian.mobile", "present": False}), snapshot, STARTS)


def test_an_unknown_field_is_an_error() -> None:
    with pytest.raises(KeyError):
        holds(when({"field": "student.shoe_size", "equals": "38"}), make_snapshot(), STARTS)


def test_condition_fields_lists_every_field_and_the_values_it_is_compared_with() -> None:
    condition = when(
        {
            "all": [
                {"field": "student.discipline", "equals": "danse"},
                {"any": [{"field": "student.cycle", "in": ["eveil", "initiation"]}]},
                {"not": {"field": "student.instrument", "present": True}},
            ]
        }
    )
    assert condition_fields(condition) == [
        ("student.discipline", ["danse"]),
        ("student.cycle", ["eveil", "initiation"]),
        ("student.instrument", None),
    ]
