"""Every malformed family CSV is refused through the CLI with its place, nothing written."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Result

Dacapo = Callable[..., Result]
BAD = ROOT / "tests" / "data" / "csv" / "bad"
EXPECTED = tomllib.loads((BAD / "expected.toml").read_text(encoding="utf-8"))


def where(path: Path, row: int, column: str) -> str:
    """How the CLI names a place: FILE:ROW:COLUMN, FILE:ROW or FILE."""
    if row == 0:
        return f"{path}: "
    return f"{path}:{row}:{column}: " if column else f"{path}:{row}: "


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=lambda n: n.removesuffix(".csv"))
def test_each_malformed_file_is_refused_with_its_place_and_nothing_is_written(
    dacapo: Dacapo, name: str
) -> None:
    path = BAD / name
    loaded = dacapo("campaign", "load", str(ROOT / "campaign-2023-2024.yaml"))
    assert loaded.exit_code == 0, loaded.stderr
    result = dacapo("family", "import", str(path), "--site", "malakoff")
    assert result.exit_code == 2
    for problem in EXPECTED[name]["problems"]:
        assert where(path, problem["row"], problem["column"]) in result.stderr
        assert problem["message"] in result.stderr
    assert "nothing imported" in result.stderr
    # Loading again opens one dossier per continuing pupil imported: none were.
    again = dacapo("campaign", "load", str(ROOT / "campaign-2023-2024.yaml"))
    assert "0 dossiers opened (0 already open)" in again.stdout
    assert json.loads(dacapo("dossier", "list", "--json").stdout) == []
