"""Alembic, driven from code: no ``alembic.ini`` needed.

The scripts live in ``dacapo/store/migrations``. ``migrate(connection)`` runs
them up to head inside the caller's transaction (``BEGIN IMMEDIATE`` on
SQLite, so two processes opening a new file at once migrate it once).
To write a new revision during development, autogenerate it against a
database at head, then read and edit the script::

    engine = make_engine("sqlite:////tmp/dev.sqlite3")
    with engine.begin() as conn:
        migrate(conn)
        command.revision(alembic_config(conn), message="...", autogenerate=True, rev_id="0002")

``env.py`` writes plain ``sa.DateTime(timezone=True)`` / ``sa.String()`` for our
column types, so old scripts never import application code.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

MIGRATIONS = Path(__file__).with_name("migrations")
# Key for pg_advisory_xact_lock: one upgrade at a time on a shared PostgreSQL.
_PG_MIGRATION_LOCK = 0x0DA_CA90


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None, "no migration scripts"
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def is_known(revision: str) -> bool:
    return any(script.revision == revision for script in script_directory().walk_revisions())


def migrate(connection: Connection, target: str = "head") -> None:
    """Upgrade to ``target`` in the transaction already begun on ``connection``."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    command.upgrade(alembic_config(connection), target)
