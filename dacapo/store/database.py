"""Opening the database: the default SQLite file, or a shared PostgreSQL.

With no URL, Da Capo uses ``dacapo.sqlite3`` in the data directory, created
and migrated to the latest schema on first use (and upgraded in place after
an update: it is embedded, nobody else shares it). A PostgreSQL database is
shared, so it is never migrated behind the administrator's back: if its
schema is not at head, ``open_database`` refuses and says to run
``dacapo db upgrade`` (``upgrade()`` here).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import URL, Connection, Engine
from sqlalchemy.exc import OperationalError

from dacapo.engine.errors import DatabaseBusy, DatabaseUnavailable, SchemaOutOfDate
from dacapo.store.engines import make_engine, normalise_url
from dacapo.store.migrate import current_revision, head_revision, is_known, migrate
from dacapo.store.unit_of_work import BUSY_MESSAGE, UnitOfWork

__all__ = ["DEFAULT_FILENAME", "Database", "make_engine", "open_database", "upgrade"]

DEFAULT_FILENAME = "dacapo.sqlite3"


class Database:
    """An engine and what to do with it; ``unit_of_work()`` is the way in."""

    def __init__(self, engine: Engine, *, simulated_clock: bool = False) -> None:
        self.engine = engine
        # True when the engine's time is not the real clock (``--now``): every
        # audit row written through this database is marked simulated.
        self.simulated_clock = simulated_clock

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        """The URL, password hidden: safe to print."""
        return self.engine.url.render_as_string(hide_password=True)

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(self.engine, read_only=read_only, simulated=self.simulated_clock)

    def refresh_statistics(self) -> None:
        """After a bulk write, let PostgreSQL's planner see the new rows (``ANALYZE``).

        Without it, the first lookups after loading 100,000 dossiers may be planned
        on empty-table statistics. SQLite needs nothing here.
        """
        if self.dialect == "postgresql":
            with self.engine.begin() as connection:
                connection.exec_driver_sql(
                    "ANALYZE family, guardian, student, dossier, answer, audit_log"
                )

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.url})"


def database_url(url: str | None, data_dir: Path) -> URL:
    """``url``, or the default SQLite file in ``data_dir`` (created if needed)."""
    if url:
        return normalise_url(url)
    data_dir.mkdir(parents=True, exist_ok=True)
    return normalise_url(f"sqlite:///{(data_dir / DEFAULT_FILENAME).resolve()}")


def open_database(url: str | None, data_dir: Path) -> Database:
    """The database to work on, with its schema at head (see the module docstring)."""
    engine = make_engine(database_url(url, data_dir))
    try:
        with _connected(engine) as connection:
            if engine.dialect.name == "sqlite":
                _check_known(connection, engine)
                migrate(connection)
            else:
                _check_at_head(connection, engine)
            connection.commit()
    except BaseException:
        engine.dispose()
        raise
    return Database(engine)


def upgrade(url: str | None, data_dir: Path) -> tuple[str | None, str]:
    """Migrate to head (``dacapo db upgrade``); the revisions before and after."""
    engine = make_engine(database_url(url, data_dir))
    try:
        with _connected(engine) as connection:
            _check_known(connection, engine)
            before = current_revision(connection)
            migrate(connection)
            after = current_revision(connection)
            connection.commit()
    finally:
        engine.dispose()
    assert after is not None
    return before, after


def _connected(engine: Engine) -> Connection:
    shown = engine.url.render_as_string(hide_password=True)
    try:
        connection = engine.connect()
        connection.begin()
    except OperationalError as error:
        if "database is locked" in str(error.orig):
            raise DatabaseBusy(BUSY_MESSAGE) from error
        raise DatabaseUnavailable(f"Cannot open the database {shown}: {error.orig}") from error
    return connection


def _check_known(connection: Connection, engine: Engine) -> None:
    revision = current_revision(connection)
    if revision is not None and not is_known(revision):
        shown = engine.url.render_as_string(hide_password=True)
        raise SchemaOutOfDate(
            f"The database {shown} is at schema revision {revision}, unknown to this version "
            "of Da Capo (written by a newer one?): update Da Capo."
        )


def _check_at_head(connection: Connection, engine: Engine) -> None:
    _check_known(connection, engine)
    revision, head = current_revision(connection), head_revision()
    if revision != head:
        shown = engine.url.render_as_string(hide_password=True)
        found = "has no Da Capo schema" if revision is None else f"is at revision {revision}"
        raise SchemaOutOfDate(
            f"The database {shown} {found}; this version of Da Capo needs revision {head}. "
            "Run `dacapo db upgrade` first."
        )
