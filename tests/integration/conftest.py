"""Database fixtures: every test runs on a SQLite file and, when
``DACAPO_TEST_POSTGRES_URL`` is set, on PostgreSQL in a schema of its own.

- ``database_url``: the URL of an empty database (SQLite file in ``tmp_path``,
  or a fresh PostgreSQL schema selected through ``search_path``).
- ``db``: a migrated ``Database`` on it.
- ``uow``: an open unit of work on ``db`` (rolled back unless the test commits).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import OperationalError

from dacapo.store.database import Database, open_database, upgrade
from dacapo.store.engines import make_engine
from dacapo.store.unit_of_work import UnitOfWork

POSTGRES_ENV = "DACAPO_TEST_POSTGRES_URL"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"{POSTGRES_ENV} not set"),
        ],
    ),
]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dacapo.sqlite3'}"
    else:
        yield from _postgres_schema(os.environ[POSTGRES_ENV])


def _postgres_schema(base_url: str) -> Iterator[str]:
    """A schema of our own for one test, dropped afterwards."""
    schema = f"t_{secrets.token_hex(6)}"
    admin = make_engine(base_url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as error:
        admin.dispose()
        message = f"{POSTGRES_ENV} is set but PostgreSQL cannot be reached: {error.orig}"
        pytest.fail(message, pytrace=False)
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db(database_url: str, tmp_path: Path) -> Iterator[Database]:
    if not database_url.startswith("sqlite"):
        upgrade(database_url, tmp_path)  # PostgreSQL is never migrated implicitly
    database = open_database(database_url, tmp_path)
    yield database
    database.dispose()


@pytest.fixture
def uow(db: Database) -> Iterator[UnitOfWork]:
    with db.unit_of_work() as unit:
        yield unit
