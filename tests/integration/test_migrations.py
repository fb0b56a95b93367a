"""The schema: migrations build exactly the models, and databases not at head are refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from dacapo.engine.errors import BadInput, DatabaseUnavailable, SchemaOutOfDate
from dacapo.store.database import DEFAULT_FILENAME, Database, open_database, upgrade
from dacapo.store.migrate import current_revision, head_revision
from dacapo.store.tables import metadata
from tests.integration.conftest import POSTGRES_ENV, _postgres_schema


def test_migrations_create_every_table(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert tables == {*metadata.tables, "alembic_version"}


def test_the_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_an_opened_database_is_at_the_head_revision(db: Database) -> None:
    with db.engine.connect() as connection:
        assert current_revision(connection) == head_revision()


def test_the_default_sqlite_file_is_created_and_migrated_in_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    database = open_database(None, data_dir)
    try:
        assert (data_dir / DEFAULT_FILENAME).is_file()
        assert database.dialect == "sqlite"
        with database.engine.connect() as connection:
            assert current_revision(connection) == head_revision()
    finally:
        database.dispose()


def test_upgrade_reports_the_revisions_before_and_after(tmp_path: Path) -> None:
    assert upgrade(None, tmp_path) == (None, head_revision())
    assert upgrade(None, tmp_path) == (head_revision(), head_revision())


def test_a_schema_revision_unknown_to_this_version_is_refused(tmp_path: Path) -> None:
    open_database(None, tmp_path).dispose()
    database = open_database(None, tmp_path)
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    database.dispose()
    with pytest.raises(SchemaOutOfDate, match="f00d, unknown to this version"):
        open_database(None, tmp_path)


@pytest.fixture
def postgres_url() -> object:
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"{POSTGRES_ENV} not set")
    yield from _postgres_schema(os.environ[POSTGRES_ENV])


@pytest.mark.postgres
def test_postgresql_without_the_schema_is_refused_with_the_command_to_run(
    postgres_url: str, tmp_path: Path
) -> None:
    with pytest.raises(SchemaOutOfDate, match=r"has no Da Capo schema.*`dacapo db upgrade`"):
        open_database(postgres_url, tmp_path)
    assert upgrade(postgres_url, tmp_path) == (None, head_revision())
    open_database(postgres_url, tmp_path).dispose()


def test_an_unreachable_database_is_reported_without_its_password(tmp_path: Path) -> None:
    url = "postgresql://dacapo:secret@127.0.0.1:1/nowhere?connect_timeout=2"
    with pytest.raises(DatabaseUnavailable, match="Cannot open the database") as caught:
        open_database(url, tmp_path)
    assert "secret" not in str(caught.value)


def test_an_unsupported_database_url_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="Unsupported database URL"):
        open_database("mysql://somewhere/db", tmp_path)
