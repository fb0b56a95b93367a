"""The made-up families and the personas they are dealt: the same for a seed, as promised."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from dacapo.engine.imports import parse_families
from dacapo.simulation.people import family_csv, households, newcomers
from dacapo.simulation.personas import HABITS, Persona, deal
from dacapo.simulation.timeline import Agenda, Calendar

PARIS = ZoneInfo("Europe/Paris")


def test_the_same_seed_makes_the_same_families_and_another_seed_others() -> None:
    assert households(30, seed=7) == households(30, seed=7)
    assert households(30, seed=7) != households(30, seed=8)
    assert newcomers(households(30, seed=7), 5, seed=7) == newcomers(
        households(30, seed=7), 5, seed=7
    )


def test_families_import_cleanly_with_accents_siblings_adults_eveil_and_no_mobile() -> None:
    families = households(60, seed=7)
    result = parse_families(family_csv(families), source="families.csv")
    assert result.problems == []
    assert len(result.families) == 60
    pupils = [p for f in families for p in f.pupils]
    assert len(pupils) > 60  # siblings
    assert 1 <= sum(p.adult for p in pupils) <= 3
    assert any(p.eveil for p in pupils)
    assert any(p.discipline == "danse" for p in pupils)
    assert any(g.mobile is None for f in families for g in f.guardians)
    names = " ".join(p.name for p in pupils)
    assert any(c in names for c in "éèëïœ")
    assert "-" in names


def test_new_pupils_are_siblings_of_known_families_or_new_families_with_fresh_refs() -> None:
    families = households(40, seed=3)
    known = {p.ref for f in families for p in f.pupils}
    found = newcomers(families, 12, seed=3)
    assert {n.known_family for n in found} == {True, False}
    assert not known & {n.pupil.ref for n in found}
    assert len({n.pupil.ref for n in found}) == 12
    assert all(len(n.preferences) == 2 for n in found)


@pytest.mark.parametrize("count", [9, 20, 60, 137])
def test_every_persona_is_dealt_at_least_once_in_its_share(count: int) -> None:
    dealt = Counter(deal(count, seed=1))
    assert sum(dealt.values()) == count
    assert set(dealt) == set(Persona)
    for habit in HABITS:
        assert abs(dealt[habit.persona] - habit.share * count) <= 1.5


def test_few_families_get_the_most_common_personas() -> None:
    assert deal(1, seed=1) == [Persona.EARLY_BIRD]
    assert deal(20, seed=1) == deal(20, seed=1)
    assert deal(20, seed=1) != deal(20, seed=2)


def test_the_office_is_closed_on_weekends_and_on_ascension_day() -> None:
    calendar = Calendar.for_zone(PARIS, range(2023, 2024))
    assert calendar.office_day(dt.date(2023, 5, 17))
    assert not calendar.office_day(dt.date(2023, 5, 18))  # Ascension
    assert not calendar.office_day(dt.date(2023, 5, 20))
    assert calendar.next_office_day(dt.date(2023, 5, 27)) == dt.date(2023, 5, 30)  # Whit Monday
    assert calendar.at(dt.date(2023, 5, 25), 0) == dt.datetime(2023, 5, 24, 22, tzinfo=dt.UTC)


def test_the_agenda_runs_entries_in_time_order_and_refuses_the_past() -> None:
    agenda, ran = Agenda(), []
    at = dt.datetime(2023, 5, 10, 8, tzinfo=dt.UTC)
    agenda.plan(at + dt.timedelta(hours=1), "second", ran.append)
    agenda.plan(at, "first", ran.append)
    agenda.plan(at, "first too", ran.append)
    while (entry := agenda.next_before(at + dt.timedelta(days=1))) is not None:
        entry.action(entry.at)
        assert entry.label in {"first", "first too", "second"}
    assert ran == [at, at, at + dt.timedelta(hours=1)]
    with pytest.raises(ValueError, match="before"):
        agenda.plan(at, "late", ran.append)
