from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dacapo.cli import app

ROOT = Path(__file__).parents[2]


class Result:
    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr


@pytest.fixture
def dacapo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run the CLI in-process, in a fresh data directory, as a staff member."""
    monkeypatch.setenv("DACAPO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DACAPO_ACTOR", "secretariat")
    monkeypatch.delenv("DACAPO_DATABASE_URL", raising=False)
    monkeypatch.delenv("DACAPO_NOW", raising=False)

    def run(*args: str) -> Result:
        result = CliRunner().invoke(app, list(args), catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)

    return run
