"""Every malformed file in tests/data/csv/bad/ is refused where expected.toml says."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from tests.unit.imports.support import DATA, parse, where

BAD = DATA / "bad"
EXPECTED: dict[str, Any] = tomllib.loads((BAD / "expected.toml").read_text(encoding="utf-8"))


def test_the_corpus_has_an_expectation_for_every_file_and_a_file_for_every_expectation() -> None:
    files = {p.name for p in BAD.glob("*.csv")}
    assert files == set(EXPECTED)
    assert len(files) >= 15


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_file_reports_its_problems_at_the_expected_row_and_column(name: str) -> None:
    result = parse((BAD / name).read_bytes(), source=name)
    expected = EXPECTED[name]["problems"]

    assert where(result) == [(p["row"], p["column"]) for p in expected], result.problems
    for problem, wanted in zip(result.problems, expected, strict=True):
        assert wanted["message"] in problem.message
        assert str(problem).startswith(f"{name}:" if problem.row else f"{name}: ")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_bad_file_is_importable_as_a_whole(name: str) -> None:
    result = parse((BAD / name).read_bytes(), source=name)

    assert not result.ok
    assert result.valid_families() == []
