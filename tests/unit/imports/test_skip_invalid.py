"""What the caller needs to decide: refuse everything, or import only the wholly valid families."""

from __future__ import annotations

import pytest

from dacapo.engine.errors import BadInput, FamilyImportInvalid
from dacapo.engine.imports import CsvProblem
from tests.unit.imports.support import csv_bytes, parse, row

GOOD_OTHER = {
    "family_ref": "F002",
    "guardian1_last_name": "N'Diaye",
    "guardian1_first_name": "Aminata",
    "guardian1_email": "aminata@example.com",
    "student_ref": "S0201",
    "student_last_name": "N'Diaye",
    "student_first_name": "Awa",
}


def test_valid_families_leave_out_a_family_with_any_bad_row() -> None:
    data = csv_bytes(
        [
            row(),
            row(**GOOD_OTHER),
            row(student_ref="S0102", student_first_name="Léo", birth_date="31/02/2015"),
        ]
    )
    result = parse(data)

    assert [f.ref for f in result.valid_families()] == ["F002"]
    assert result.rejected_rows == [4]
    assert result.rejected_families == ["F001"]
    # The family is still known, with its valid rows only, for reports and dry runs.
    [dupont] = [f for f in result.families if f.ref == "F001"]
    assert [s.ref for s in dupont.students] == ["S0101"]


def test_a_conflict_between_rows_rejects_the_whole_family() -> None:
    data = csv_bytes([row(), row(student_ref="S0102", guardian1_mobile="07 61 23 45 67")])
    result = parse(data)

    assert [(p.row, p.column) for p in result.problems] == [(3, "guardian1_mobile")]
    assert "differs from row 2 ('06 12 34 56 78')" in result.problems[0].message
    assert result.valid_families() == []


def test_the_same_number_spelled_differently_is_no_conflict() -> None:
    data = csv_bytes(
        [
            row(guardian1_mobile="06 12 34 56 78", guardian1_email="marie@Example.fr"),
            row(
                student_ref="S0102",
                guardian1_mobile="+33612345678",
                guardian1_email="marie@example.FR",
            ),
        ]
    )
    assert parse(data).ok


def test_a_row_with_the_wrong_number_of_cells_rejects_the_family_it_names() -> None:
    good = csv_bytes([row(**GOOD_OTHER)]).decode()
    short = ";".join(["F001", "Dupont", "Marie"]) + "\r\n"
    result = parse((good + short).encode())

    assert result.rejected_rows == [3]
    assert result.rejected_families == ["F001"]
    assert [f.ref for f in result.valid_families()] == ["F002"]


def test_a_header_problem_makes_nothing_importable_even_with_valid_rows() -> None:
    columns = [*csv_bytes([]).decode().strip().split(";"), "remarques"]
    result = parse(csv_bytes([row(remarques="")], columns=columns))

    assert [f.ref for f in result.families] == ["F001"]
    assert result.file_problems == result.problems
    assert result.valid_families() == []


def test_a_problem_reads_file_row_column_and_message() -> None:
    assert str(CsvProblem(source="f.csv", row=3, column="postcode", message="bad")) == (
        "f.csv:3:postcode: bad"
    )
    assert str(CsvProblem(source="f.csv", row=3, message="19 cells")) == "f.csv:3: 19 cells"
    assert str(CsvProblem(source="f.csv", row=0, message="empty file")) == "f.csv: empty file"


def test_raise_for_problems_lists_every_problem_as_bad_input() -> None:
    result = parse(csv_bytes([row(postcode="1"), row(student_ref="S0102", cycle="x")]))
    with pytest.raises(FamilyImportInvalid) as caught:
        result.raise_for_problems()

    assert isinstance(caught.value, BadInput)
    assert caught.value.exit_code == 2
    assert str(caught.value).splitlines() == [str(p) for p in result.problems]
    assert len(caught.value.problems) == 2


def test_raise_for_problems_is_silent_for_a_clean_file() -> None:
    parse(csv_bytes([row()])).raise_for_problems()


def test_the_models_are_frozen_and_refuse_unknown_fields() -> None:
    [family] = parse(csv_bytes([row()])).families
    with pytest.raises(ValueError, match="frozen"):
        family.ref = "F999"  # type: ignore[misc]
    with pytest.raises(ValueError, match="Extra inputs"):
        type(family).model_validate({**family.model_dump(), "site": "malakoff"})


def test_a_bad_family_cell_repeated_on_every_row_is_reported_on_every_row() -> None:
    rows = [row(guardian1_email="marie"), row(student_ref="S0102", guardian1_email="marie")]
    data = csv_bytes(rows)
    result = parse(data)

    assert [(p.row, p.column) for p in result.problems] == [
        (2, "guardian1_email"),
        (3, "guardian1_email"),
    ]
    assert result.families == []
    assert result.rejected_families == ["F001"]
