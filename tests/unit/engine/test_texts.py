"""Text typed by people: refused with control or bidirectional characters, or too long,
wherever it comes from (``--set``, ``--remarks``, ``--reason``, the family import)."""

from __future__ import annotations

import pytest

from dacapo.campaigns.schema import Role
from dacapo.engine.answers import remarks
from dacapo.engine.corrections import parse_target, parse_value
from dacapo.engine.errors import BadInput
from dacapo.engine.imports import cells
from dacapo.engine.services import fire
from dacapo.engine.texts import MAX_LINE, MAX_REASON, checked_text, reason_text, text_problem
from dacapo.rules.snapshot import Actor
from tests.unit.engine.fakes import FakeStore
from tests.unit.rules.conftest import CAMPAIGN, NOW, make_snapshot

STAFF = Actor(Role.STAFF, "secretariat")
WRITTEN_BY_PEOPLE = [
    "N'Diaye",
    "N’Diaye",
    "Jean-Édouard de La Tour-Œuvre",
    "عائشة",  # Arabic, right to left without any control character
    "Zoë 👩\u200d🎤",  # a zero-width joiner inside an emoji is no bidi control
    "12 rue de la Gare, bât. B",
]
CONTROLS = ["\x00", "\x07", "\x08", "\t", "\r", "\x1b", "\x7f", "\x85", "\x9b"]
BIDI = ["\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)), "\u2066", "\u2069"]


@pytest.mark.parametrize("value", WRITTEN_BY_PEOPLE)
def test_what_people_write_is_kept_as_written(value: str) -> None:
    assert text_problem(value) is None
    assert checked_text(value, "--set") == value


@pytest.mark.parametrize("character", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_a_control_character_is_refused_even_where_lines_are_allowed(character: str) -> None:
    problem = text_problem(f"Allergie{character} aux arachides", lines=True)

    assert problem is not None
    assert problem.endswith(f"(U+{ord(character):04X}) at character 9")


@pytest.mark.parametrize("character", BIDI, ids=[f"U+{ord(c):04X}" for c in BIDI])
def test_a_bidirectional_control_is_refused(character: str) -> None:
    with pytest.raises(BadInput) as refused:
        checked_text(f"Durand{character}", "guardian1.last_name", lines=True)

    assert str(refused.value) == (
        f"guardian1.last_name: holds a bidirectional control character "
        f"(U+{ord(character):04X}) at character 7"
    )


@pytest.mark.parametrize("breaker", ["\n", "\u2028", "\u2029"])
def test_a_line_break_is_refused_in_one_line_and_a_line_feed_allowed_in_several(
    breaker: str,
) -> None:
    assert text_problem(f"Anne{breaker}Marie") == (
        f"holds a line break (U+{ord(breaker):04X}) at character 5"
    )
    assert (text_problem(f"Anne{breaker}Marie", lines=True) is None) == (breaker == "\n")


def test_the_limit_is_inclusive() -> None:
    assert text_problem("x" * MAX_LINE) is None
    assert text_problem("x" * (MAX_LINE + 1)) == "too long: 201 characters, at most 200"


class TestReasons:
    def test_a_reason_is_stripped_and_a_blank_one_is_none(self) -> None:
        assert reason_text("  Déménagement à Lyon  ") == "Déménagement à Lyon"
        assert reason_text(" \n ") is None
        assert reason_text(None) is None

    def test_a_reason_holds_one_line_of_at_most_1000_characters(self) -> None:
        assert reason_text("x" * MAX_REASON) == "x" * MAX_REASON
        with pytest.raises(BadInput, match=r"^--reason: too long: 1,001 characters, at most 1,000"):
            reason_text("x" * (MAX_REASON + 1))
        with pytest.raises(BadInput, match=r"^--reason: holds a line break \(U\+000A\)"):
            reason_text("Erreur\n2023-05-15 staff confirmed")  # a fake row of `dossier audit`

    def test_fire_refuses_an_unsafe_reason_before_anything_is_written(self) -> None:
        store = FakeStore(CAMPAIGN)
        store.add(make_snapshot("dance", ref="D-ZOE"))

        with pytest.raises(BadInput, match=r"^--reason: holds a control character \(U\+001B\)"):
            fire(store, "D-ZOE", "withdraw", STAFF, now=NOW, reason="Départ\x1b[31m")
        assert store.audit == []
        assert store.dossier("D-ZOE").snapshot.state == "invited"


class TestCorrections:
    def value(self, assignment: str) -> object:
        field, _, text = assignment.partition("=")
        return parse_value(CAMPAIGN, parse_target(field), text, NOW)

    def test_an_address_may_hold_two_lines_a_name_one(self) -> None:
        assert self.value("family.address=Bât. B\n12 rue de la Gare") == "Bât. B\n12 rue de la Gare"
        with pytest.raises(BadInput, match=r"^guardian1\.last_name: holds a line break"):
            self.value("guardian1.last_name=Du\nrand")

    def test_an_email_may_be_254_characters_long_a_name_200(self) -> None:
        with pytest.raises(
            BadInput, match=r"^guardian2\.email: too long: 255 characters, at most 254"
        ):
            self.value(f"guardian2.email={'a' * 243}@example.org")
        with pytest.raises(
            BadInput, match=r"^student\.school: too long: 201 characters, at most 200"
        ):
            self.value(f"student.school={'é' * 201}")

    def test_a_mobile_is_still_judged_as_a_mobile(self) -> None:
        with pytest.raises(BadInput, match="n'est pas un numéro de mobile"):
            self.value("guardian1.mobile=06 12 34 56 78\u202e")


def test_remarks_may_hold_lines_but_no_control_character() -> None:
    assert remarks(CAMPAIGN, " Allergie\naux arachides ") == "Allergie\naux arachides"
    with pytest.raises(BadInput, match=r"^--remarks: holds a control character \(U\+0007\)"):
        remarks(CAMPAIGN, "Allergie\x07")


def test_the_family_import_refuses_the_same_characters() -> None:
    with pytest.raises(ValueError, match=r"bidirectional control character \(U\+202E\)"):
        cells.name("Dur\u202eand")
    with pytest.raises(ValueError, match=r"control character \(U\+001B\)"):
        cells.text("1 rue\x1b[2J")
    with pytest.raises(ValueError, match="is not a reference: it holds a space"):
        cells.ref("S 0100")
    assert cells.text("Bât. B\n12 rue de la Gare") == "Bât. B\n12 rue de la Gare"
