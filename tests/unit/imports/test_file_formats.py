"""What spreadsheets write: separators, BOM, line endings, quoting, dates, blank lines, limits."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from dacapo.engine.imports import COLUMNS, parse_families
from tests.unit.imports.support import ROW, csv_bytes, parse, row, where


@pytest.mark.parametrize("sep", [";", ","])
@pytest.mark.parametrize("end", ["\n", "\r\n"])
@pytest.mark.parametrize("bom", [False, True])
def test_reads_either_separator_line_ending_and_bom(sep: str, end: str, bom: bool) -> None:
    data = csv_bytes(
        [row(), row(student_ref="S0102", student_first_name="Léo")], sep=sep, end=end, bom=bom
    )
    result = parse(data)

    assert result.problems == []
    [family] = result.families
    assert [s.first_name for s in family.students] == ["Zoé", "Léo"]
    assert family.guardians[0].last_name == "Dupont"


def test_the_separator_comes_from_the_header_even_when_data_holds_more_commas() -> None:
    address = ",".join(str(n) for n in range(45))
    data = csv_bytes([row(address=address), row(student_ref="S0102", address=address)], sep=";")
    assert data.count(b",") > data.count(b";")

    [family] = parse(data).families
    assert family.address == address


def test_quoted_cells_may_hold_the_separator_a_quote_and_a_line_break() -> None:
    address = 'Résidence "Les Lilas"; bât. B\n5 allée Jean Jaurès'
    data = csv_bytes([row(address=address), row(student_ref="S0102", address=address)], sep=";")

    result = parse(data)
    assert result.problems == []
    assert result.families[0].address == address
    assert [s.row for s in result.families[0].students] == [2, 3]


def test_a_line_break_inside_a_cell_written_as_crlf_is_read_as_one_newline() -> None:
    data = csv_bytes([row(address="Bât. B\r\n5 allée Jean Jaurès")], end="\r\n")
    assert parse(data).families[0].address == "Bât. B\n5 allée Jean Jaurès"


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("14/03/2012", dt.date(2012, 3, 14)),
        ("4/3/2012", dt.date(2012, 3, 4)),
        ("2012-03-14", dt.date(2012, 3, 14)),
        ("29/02/2012", dt.date(2012, 2, 29)),
    ],
)
def test_birth_dates_read_as_dd_mm_yyyy_or_iso(text: str, date: dt.date) -> None:
    [family] = parse(csv_bytes([row(birth_date=text)])).families
    assert family.students[0].birth_date == date


@pytest.mark.parametrize(
    "text", ["31/02/2015", "29/02/2015", "2015-04-31", "00/01/2015", "14/13/2012"]
)
def test_impossible_dates_are_refused(text: str) -> None:
    result = parse(csv_bytes([row(birth_date=text)]))
    assert where(result) == [(2, "birth_date")]
    assert "impossible date" in result.problems[0].message


@pytest.mark.parametrize(
    "text", ["14-03-2012", "2012/03/14", "14/03/12", "mars 2012", "1899-12-31"]
)
def test_other_date_spellings_are_refused(text: str) -> None:
    assert where(parse(csv_bytes([row(birth_date=text)]))) == [(2, "birth_date")]


def test_blank_lines_are_skipped_silently_but_keep_their_row_number() -> None:
    data = csv_bytes([row(), [], ["", "", ""], [""] * 21, row(student_ref="S0102", postcode="x")])
    result = parse(data)

    assert result.row_count == 2
    assert where(result) == [(6, "postcode")]
    assert result.rejected_rows == [6]


def test_trailing_separators_left_by_a_spreadsheet_are_ignored() -> None:
    header = ";".join(COLUMNS) + ";;\r\n"
    line = ";".join(ROW[c] for c in COLUMNS) + ";;\r\n"
    result = parse((header + line).encode())

    assert result.problems == []
    assert len(result.families) == 1


def test_cells_are_stripped_and_normalized_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Zoé")
    assert decomposed != "Zoé"
    data = csv_bytes([row(student_first_name=f"  {decomposed}\u00a0", city=" Malakoff ")])

    [family] = parse(data).families
    assert family.students[0].first_name == "Zoé"
    assert family.city == "Malakoff"


def test_a_header_may_list_columns_in_any_order_and_leave_out_optional_ones() -> None:
    columns = [c for c in reversed(COLUMNS) if not c.startswith("guardian2_") and c != "school"]
    result = parse(csv_bytes([row()], columns=columns))

    assert result.problems == []
    [family] = result.families
    assert len(family.guardians) == 1
    assert family.students[0].school is None


def test_discipline_and_cycle_forgive_case_accents_and_spaces_and_keep_the_code() -> None:
    [family] = parse(csv_bytes([row(discipline="Théâtre", cycle="Cycle 2")])).families
    assert (family.students[0].discipline, family.students[0].cycle) == ("theatre", "cycle_2")


def test_without_a_campaign_vocabulary_any_discipline_and_cycle_are_kept() -> None:
    data = csv_bytes([row(discipline="Arts plastiques", cycle="Atelier")])
    [family] = parse_families(data, source="x.csv").families
    pupil = family.students[0]
    assert (pupil.discipline, pupil.cycle) == ("Arts plastiques", "Atelier")


def test_a_second_guardian_needs_names_and_email_but_not_a_mobile() -> None:
    data = csv_bytes(
        [row(guardian2_last_name="Dupont", guardian2_first_name="Paul", guardian2_email="P@Ex.FR")]
    )
    [family] = parse(data).families
    assert family.guardians[1].email == "P@ex.fr"
    assert family.guardians[1].mobile is None


def test_a_file_over_the_size_limit_is_refused_before_reading() -> None:
    data = csv_bytes([row()])
    result = parse(data, max_bytes=len(data) - 1)

    assert where(result) == [(0, "")]
    assert "file too large" in result.problems[0].message
    assert result.families == []


def test_a_file_over_the_row_limit_is_refused() -> None:
    rows = [row(student_ref=f"S{n}") for n in range(4)]
    result = parse(csv_bytes(rows), max_rows=3)

    assert where(result) == [(0, "")]
    assert "too many rows: the limit is 3" in result.problems[0].message
    assert result.families == []
    assert parse(csv_bytes(rows), max_rows=4).ok


def test_a_non_utf8_file_names_the_line_and_byte_and_says_how_to_save_it() -> None:
    data = csv_bytes([row(), row(student_ref="S0102", student_first_name="Léo")]).decode()
    latin1 = data.encode("latin-1")
    result = parse(latin1)

    [problem] = result.problems
    assert problem.row == 2
    offset = latin1.index("é".encode("latin-1"))
    assert f"at byte {offset}" in problem.message
    assert "CSV UTF-8" in problem.message


def test_a_bom_only_file_is_empty() -> None:
    assert "empty file" in parse(b"\xef\xbb\xbf\r\n").problems[0].message


def test_a_file_the_csv_reader_gives_up_on_is_refused_whole() -> None:
    data = csv_bytes([row(), row(student_ref="S0102", address="x" * 200_000)])
    result = parse(data)

    assert where(result) == [(3, "")]
    assert "unreadable CSV" in result.problems[0].message
    assert result.families == []
    assert result.valid_families() == []
