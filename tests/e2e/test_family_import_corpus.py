"""Every malformed family CSV is refused through the CLI with its place, nothing written."""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dacapo.cli import app
from tests.e2e.conftest import ROOT, Result

Dacapo = Callable[..., Result]
BAD = ROOT / "tests" / "data" / "csv" / "bad"
EXPECTED = tomllib.loads((BAD / "expected.toml").read_text(encoding="utf-8"))


def where(path: Path, row: int, column: str) -> str:
    """How the CLI names a place: FILE:ROW:COLUMN, FILE:ROW or FILE."""
    if row == 0:
        return f"{path}: "
    return f"{path}:{row}:{column}: " if column else f"{path}:{row}: "


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the bundled campaign loaded (and no family), made once."""
    data = tmp_path_factory.mktemp("loaded")
    result = CliRunner().invoke(
        app,
        ["campaign", "load", str(ROOT / "campaign-2023-2024.yaml")],
        env={"DACAPO_DATA_DIR": str(data), "DACAPO_ACTOR": "secretariat"},
    )
    assert result.exit_code == 0, result.stderr
    return data


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=lambda n: n.removesuffix(".csv"))
def test_each_malformed_file_is_refused_with_its_place_and_nothing_is_written(
    dacapo: Dacapo, name: str, loaded: Path, tmp_path: Path
) -> None:
    shutil.copytree(loaded, tmp_path / "data")  # the dacapo fixture's data directory
    path = BAD / name
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
