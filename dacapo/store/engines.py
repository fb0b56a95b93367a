"""Engines for SQLite (the default, embedded) and PostgreSQL (psycopg 3).

SQLite files are opened in WAL mode with a busy timeout and foreign keys on.
Transactions are begun by us, not by the ``sqlite3`` driver (SQLAlchemy's
pysqlite recipe, valid on every Python version): the driver is put in
autocommit (``isolation_level = None``) when a connection is made, and the
engine's ``begin`` event emits ``BEGIN IMMEDIATE``. A writer thus takes the
write lock at the start of its transaction and waits up to the busy timeout
for it, instead of failing with "database is locked" when a read transaction
tries to become a write transaction. Read-only work may ask for a deferred
``BEGIN`` with the execution option ``SQLITE_BEGIN`` (the unit of work does
so with ``read_only=True``).
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import orjson
from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.pool import StaticPool

from dacapo.engine.errors import BadInput

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option: "IMMEDIATE" (default) or "DEFERRED".
SQLITE_BEGIN = "dacapo_sqlite_begin"


def normalise_url(url: str | URL) -> URL:
    """A SQLAlchemy URL, with plain ``postgresql://`` mapped to psycopg 3."""
    try:
        parsed = make_url(url)
    except Exception as error:
        raise BadInput(f"Invalid database URL: {error}") from error
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        shown = parsed.render_as_string(hide_password=True)
        raise BadInput(f"Unsupported database URL {shown}: use sqlite:/// or postgresql://")
    return parsed


def is_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def json_text(value: Any) -> str:
    """JSON columns' text: orjson, UTF-8 kept (several times the json module's speed,
    which counted at 100,000 outbox contexts a closing or a reminder writes)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")


def make_engine(url: str | URL, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> Engine:
    """An engine for ``url``; SQLite gets WAL, busy timeout, foreign keys, BEGIN IMMEDIATE."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(parsed, pool_pre_ping=True, json_serializer=json_text)
    memory = is_memory(parsed)
    options: dict[str, Any] = {
        "connect_args": {"timeout": busy_timeout_ms / 1000},
        "json_serializer": json_text,
    }
    if memory:
        options["poolclass"] = StaticPool
        options["connect_args"]["check_same_thread"] = False
    engine = create_engine(parsed, **options)
    _sqlite_hooks(engine, busy_timeout_ms=busy_timeout_ms, wal=not memory)
    return engine


def _sqlite_hooks(engine: Engine, *, busy_timeout_ms: int, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver no longer emits BEGIN
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if wal:
                _enable_wal(cursor, busy_timeout_ms / 1000)
                cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough in WAL mode
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
        connection.exec_driver_sql("BEGIN" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


def _enable_wal(cursor: Any, timeout_s: float) -> None:
    """Switch the file to WAL (persistent), retrying while another process holds a lock.

    SQLite answers "database is locked" to a journal mode change at once, without
    the busy handler, when two processes open a new file together.
    """
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
        return
    deadline = time.monotonic() + timeout_s
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL").fetchone()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.25)
