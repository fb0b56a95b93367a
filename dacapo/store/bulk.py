"""Set-based helpers shared by the bulk paths (family import, campaign load).

Everything here runs SQLAlchemy Core statements on the session's connection,
inside the caller's transaction: no ORM objects, one statement per chunk.

SQLite gets plain ``executemany`` (in-process, a few microseconds a row).
PostgreSQL inserts by ``COPY`` into a temporary table and one ``INSERT ...
SELECT`` (``insert_rows``), and updates and filters with one array parameter
per column (``UPDATE ... FROM (SELECT unnest(...))``, ``= ANY(:array)``). A
statement with thousands of placeholders, or thousands of pipelined ones,
costs psycopg more client time than the server spends writing the rows; and
array parameters are escaped value by value in Python, which ``COPY`` avoids.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

import psycopg
from sqlalchemy import (
    JSON,
    ColumnElement,
    Select,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

T = TypeVar("T")
IN_CHUNK = 1000  # values per IN (...): well under SQLite's 32,766 bound parameters
ROWS_CHUNK = 5000  # rows per INSERT or UPDATE statement


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _array(column: ColumnElement[Any], values: Sequence[Any], name: str) -> ColumnElement[Any]:
    kind = postgresql.ARRAY(column.type)
    return cast(bindparam(name, list(values), type_=kind), kind)


def _unnest(column: ColumnElement[Any], values: Sequence[Any], name: str) -> ColumnElement[Any]:
    """``unnest(:array)`` of a column's values; JSON travels as ``text[]``, cast row by row.

    psycopg adapts a ``json[]`` parameter element by element (a dumper and an
    escaping regex per value): at 100,000 outbox contexts that cost more than
    the INSERT itself. Text arrays are adapted in bulk.
    """
    if isinstance(column.type, JSON):
        texts = [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
        kind = postgresql.ARRAY(Text())
        return cast(func.unnest(cast(bindparam(name, texts, type_=kind), kind)), column.type)
    return func.unnest(_array(column, values, name))


def select_in(
    session: Session, query: Select[Any], column: ColumnElement[Any], values: Sequence[Any]
) -> Iterator[Any]:
    """Rows of ``query`` where ``column`` is one of ``values``."""
    unique = list(dict.fromkeys(values))
    if _postgres(session):
        if unique:
            yield from session.execute(query.where(column == any_(_array(column, unique, "in"))))
        return
    for part in chunks(unique, IN_CHUNK):
        yield from session.execute(query.where(column.in_(part)))


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    returning: Sequence[str] = (),
    ignore_conflicts: bool = False,
) -> list[Any]:
    """Insert ``rows`` (all with the same keys); the ``returning`` columns of the rows written.

    ``ignore_conflicts``: ``ON CONFLICT DO NOTHING`` (rows skipped are not returned).
    ``returning`` columns come back as the driver gives them: ask for ids and text.
    """
    if not rows:
        return []
    if _postgres(session):
        return _copy_then_insert(session, table, rows, returning, ignore_conflicts)
    return _sqlite_insert(session, table, rows, returning, ignore_conflicts)


def _sqlite_insert(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    returning: Sequence[str],
    ignore_conflicts: bool,
) -> list[Any]:
    """SQLite: the driver's ``executemany`` on values bound by the columns' own types.

    SQLAlchemy's executemany spends ~150 µs a row on parameter handling; the
    columns' bind processors (``UTCDateTime``, JSON, ...) applied here give the
    same stored values for a few microseconds. With ``returning``, multi-row
    ``VALUES ... RETURNING`` statements instead (executemany returns no rows).
    """
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    names = list(rows[0])
    processors = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    values = [
        tuple(
            row[n] if bind is None else bind(row[n])
            for n, bind in zip(names, processors, strict=True)
        )
        for row in rows
    ]
    head = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
        f"({', '.join(quote(n) for n in names)}) VALUES "
    )
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    one = "(" + ", ".join("?" for _ in names) + ")"
    raw = connection.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        if not returning:
            cursor.executemany(head + one + tail, values)
            return []
        tail += " RETURNING " + ", ".join(quote(n) for n in returning)
        per_statement = max(1, _SQLITE_PARAMETERS // len(names))
        written: list[Any] = []
        for part in chunks(values, per_statement):
            flat = [value for row in part for value in row]
            cursor.execute(head + ", ".join(one for _ in part) + tail, flat)
            written.extend(tuple(found) for found in cursor.fetchall())
        return written
    finally:
        cursor.close()


_SQLITE_PARAMETERS = 30_000  # bound parameters per statement (SQLite allows 32,766)


def _copy_then_insert(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    returning: Sequence[str],
    ignore_conflicts: bool,
) -> list[Any]:
    """PostgreSQL: ``COPY`` into a temporary table, then one ``INSERT ... SELECT``.

    Binding arrays (one per column) makes psycopg escape every value in Python;
    ``COPY`` adapts rows in C and streams them. The staging table has the
    target's column types and nothing else, and is dropped at commit.
    """
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    names = list(rows[0])
    columns = ", ".join(quote(n) for n in names)
    target = connection.dialect.identifier_preparer.format_table(table)
    # One staging table per target and column list, reused within the transaction:
    # a table created per call would hold a lock each until commit ("out of shared memory").
    digest = hashlib.sha256(f"{table.name}:{columns}".encode()).hexdigest()[:12]
    staging = f"dacapo_staging_{digest}"
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS "
        f"SELECT {columns} FROM {target} WITH NO DATA"
    )
    connection.exec_driver_sql(f"TRUNCATE {staging}")
    json_columns = {n for n in names if isinstance(table.c[n].type, JSON)}
    raw: psycopg.Connection[Any] = connection.connection.dbapi_connection  # type: ignore[assignment]
    with raw.cursor() as cursor, cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[n], ensure_ascii=False)
                    if n in json_columns and row[n] is not None
                    else row[n]
                    for n in names
                ]
            )
    statement = f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {staging}"
    if ignore_conflicts:
        statement += " ON CONFLICT DO NOTHING"
    if returning:
        statement += " RETURNING " + ", ".join(quote(n) for n in returning)
    result = connection.exec_driver_sql(statement)
    return list(result.all()) if returning else []


def update_by_id(
    session: Session, table: Table, fields: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> None:
    """``UPDATE table SET fields WHERE id = ...`` for every row (``id`` and ``fields`` keys)."""
    for part in chunks(rows, ROWS_CHUNK):
        if _postgres(session):
            names = ["id", *fields]
            source = select(
                *(_unnest(table.c[n], [r[n] for r in part], f"a_{n}").label(n) for n in names)
            ).subquery()
            statement = (
                update(table)
                .where(table.c.id == source.c.id)
                .values({f: source.c[f] for f in fields})
            )
            session.execute(statement)
            continue
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({f: bindparam(f"b_{f}") for f in fields})
        )
        session.execute(statement, [{f"b_{k}": v for k, v in row.items()} for row in part])
