"""Fixtures of the reliability suite.

The database fixtures are the integration suite's (``database_url``, ``db``, ``uow``: a
SQLite file, and PostgreSQL when ``DACAPO_TEST_POSTGRES_URL`` is set) and the in-process
CLI is the end-to-end suite's (``dacapo``), imported rather than copied. ``model_env``
is one SQLite file for the whole session, the bundled campaign loaded, shared by the
thousands of examples of the model test (each seeds a family of its own).

Typer rebuilds the Click command tree from the app at every ``CliRunner.invoke`` (about
80 ms, two thirds of an in-process command here): ``command_built_once`` keeps the first.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import typer.main
import typer.testing

from dacapo.campaigns.schema import Campaign
from dacapo.store.database import Database, open_database
from tests.e2e.conftest import dacapo
from tests.integration.conftest import database_url, db, uow
from tests.reliability.campaigns import load
from tests.reliability.reader import Reader

__all__ = [
    "ModelEnv", "command_built_once", "dacapo", "database_url", "db", "model_env", "uow",
]  # fmt: skip


@pytest.fixture(autouse=True)
def command_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(typer.testing, "_get_command", _command)


@functools.cache
def _command(app: typer.Typer) -> Any:
    return typer.main.get_command(app)


@dataclass
class ModelEnv:
    db: Database
    campaign: Campaign
    store_dir: Path
    reader: Reader
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))


@pytest.fixture(scope="session")
def model_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelEnv]:
    folder = tmp_path_factory.mktemp("model")
    database = open_database(f"sqlite:///{folder / 'dacapo.sqlite3'}", folder)
    campaign = load(database)
    reader = Reader(folder / "dacapo.sqlite3")
    yield ModelEnv(database, campaign, folder / "documents", reader)
    reader.close()
    database.dispose()
