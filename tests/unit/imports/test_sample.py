"""The Malakoff sample as Excel exports it (semicolons, BOM, CRLF, DD/MM/YYYY), and its twin."""

from __future__ import annotations

import datetime as dt

import pytest

from dacapo.engine.imports import FamilyIn, ImportResult
from tests.unit.imports.support import DATA, parse

SAMPLE = DATA / "malakoff-sample.csv"
COMMA = DATA / "malakoff-sample-comma.csv"
SCHOOL_YEAR_STARTS = dt.date(2023, 9, 1)


@pytest.fixture(scope="module")
def sample() -> ImportResult:
    return parse(SAMPLE.read_bytes(), source=SAMPLE.name)


@pytest.fixture(scope="module")
def families(sample: ImportResult) -> dict[str, FamilyIn]:
    return {f.ref: f for f in sample.families}


def test_the_sample_is_an_excel_export_with_bom_crlf_and_semicolons() -> None:
    data = SAMPLE.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    assert data.split(b"\r\n", 1)[0].count(b";") == 20


def test_the_sample_parses_without_problems_into_twelve_families_and_twenty_pupils(
    sample: ImportResult,
) -> None:
    assert sample.problems == []
    assert sample.ok
    assert sample.row_count == 20
    assert len(sample.families) == 12
    assert sum(len(f.students) for f in sample.families) == 20
    assert sample.valid_families() == sample.families
    assert sample.rejected_rows == []


def test_siblings_are_grouped_under_one_family_in_file_order(families: dict[str, FamilyIn]) -> None:
    dupont = families["F001"]
    assert [s.first_name for s in dupont.students] == ["Zoé", "Léo", "Inès"]
    assert [s.row for s in dupont.students] == [2, 3, 4]
    assert dupont.first_row == 2


def test_names_keep_their_accents_apostrophes_and_hyphens(families: dict[str, FamilyIn]) -> None:
    assert families["F002"].guardians[0].last_name == "N'Diaye"
    assert families["F003"].guardians[0].last_name == "Lefèvre-Durand"
    assert families["F003"].guardians[0].first_name == "Hélène"
    assert families["F007"].students[0].last_name == "D’Almeida"
    assert families["F007"].students[0].first_name == "Raphaël"
    assert families["F011"].guardians[0].last_name == "Lecœur"
    assert families["F012"].guardians[0].first_name == "João"
    assert families["F001"].students[0].first_name == "Zoé"


def test_mobiles_are_stored_in_e164_including_an_overseas_one(
    families: dict[str, FamilyIn],
) -> None:
    assert [g.mobile for g in families["F001"].guardians] == ["+33612345678", "+33761234567"]
    assert families["F003"].guardians[0].mobile == "+33698765432"
    assert families["F006"].guardians[0].mobile == "+262692123456"


def test_a_guardian_may_have_no_mobile_and_a_family_a_single_guardian(
    families: dict[str, FamilyIn],
) -> None:
    martin = families["F005"].guardians
    assert (martin[0].first_name, martin[0].mobile) == ("François", None)
    assert martin[1].mobile == "+33611223344"
    assert len(families["F003"].guardians) == 1
    assert len(families["F004"].guardians) == 1


def test_email_domains_are_lowercased_and_local_parts_kept(families: dict[str, FamilyIn]) -> None:
    assert families["F008"].guardians[0].email == "Samira.Benali@example.fr"


def test_pupils_of_every_kind_are_read(sample: ImportResult) -> None:
    pupils = [s for f in sample.families for s in f.students]
    eveil = [s.first_name for s in pupils if s.cycle == "eveil"]
    dance = [s.first_name for s in pupils if s.discipline == "danse"]
    adults = [s for s in pupils if s.birth_date < dt.date(2005, 9, 1)]
    assert eveil == ["Inès", "Jules"]
    assert "Awa" in dance
    assert [(a.first_name, a.cycle, a.birth_date) for a in adults] == [
        ("Thi Mai", "adulte", dt.date(1998, 6, 21))
    ]
    awa = next(s for s in pupils if s.first_name == "Awa")
    assert (awa.instrument, awa.school, awa.school_level) == (None, "Collège Paul Bert", "6e")


def test_an_address_holding_commas_survives_both_separators(families: dict[str, FamilyIn]) -> None:
    assert families["F002"].address == "Résidence Les Lilas, bât. B, 5 allée Jean Jaurès"
    assert families["F012"].postcode == "75014"


def test_the_comma_variant_in_another_column_order_gives_the_same_families(
    sample: ImportResult,
) -> None:
    data = COMMA.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" not in data
    comma = parse(data, source=SAMPLE.name)

    assert comma.problems == []
    assert comma.families == sample.families
