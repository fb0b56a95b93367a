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

import datetime as dt
import hashlib
import json
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import psycopg
from sqlalchemy import (
    JSON,
    ColumnElement,
    Integer,
    Select,
    Subquery,
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

from dacapo.store.engines import json_text

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
        texts = [None if v is None else json_text(v) for v in values]
        kind = postgresql.ARRAY(Text())
        return cast(func.unnest(cast(bindparam(name, texts, type_=kind), kind)), column.type)
    return func.unnest(_array(column, values, name))


def select_in(
    session: Session, query: Select[Any], column: ColumnElement[Any], values: Sequence[Any]
) -> Iterator[Any]:
    """Rows of ``query`` where ``column`` is one of ``values``.

    One array parameter on PostgreSQL; on SQLite one JSON array read by
    ``json_each`` when the values are ids or text (one statement, compiled
    once, instead of an ``IN (?, ?, ...)`` rendered anew for each length).
    """
    unique = list(dict.fromkeys(values))
    if not unique:
        return
    if _postgres(session) or all(type(value) in (int, str) for value in unique):
        yield from session.execute(query.where(one_of(session, column, unique)))
        return
    for part in chunks(unique, IN_CHUNK):
        yield from session.execute(query.where(column.in_(part)))


def one_of(
    session: Session, column: ColumnElement[Any], values: Sequence[int] | Sequence[str]
) -> ColumnElement[bool]:
    """``column`` is one of ``values`` (ids or text), as one parameter whatever their number."""
    if _postgres(session):
        return column == any_(_array(column, values, "in"))
    return column.in_(_json_each(values, "in"))


def _json_each(values: Sequence[Any], name: str) -> Select[Any]:
    """SQLite: ``SELECT value FROM json_each(:name)``, the values as one JSON array."""
    each = func.json_each(bindparam(name, json.dumps(list(values)))).table_valued("value")
    return select(each.c.value)


def id_version_pairs(session: Session, pairs: Sequence[tuple[int, int]]) -> Subquery:
    """``(id, version)`` pairs as a subquery with columns ``id`` and ``version``.

    One parameter whatever the number of pairs: two arrays unnested on
    PostgreSQL, one JSON array of pairs read by ``json_each`` on SQLite. Join
    it (``UPDATE ... FROM``) to act on rows only if still at the version read.
    """
    if _postgres(session):
        kind = postgresql.ARRAY(Integer)
        ids, versions = (
            cast(bindparam(f"pair_{i}", [pair[i] for pair in pairs], type_=kind), kind)
            for i in (0, 1)
        )
        return select(
            func.unnest(ids).label("id"), func.unnest(versions).label("version")
        ).subquery()
    each = func.json_each(bindparam("pairs", json.dumps([list(p) for p in pairs])))
    value = each.table_valued("value").c.value
    return select(
        func.json_extract(value, "$[0]").label("id"),
        func.json_extract(value, "$[1]").label("version"),
    ).subquery()


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
    return _insert(session, table, rows, returning, ignore_conflicts)[0]


def insert_rows_counted(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, ignore_conflicts: bool
) -> int:
    """``insert_rows`` answering only how many rows were written (no ``RETURNING``)."""
    return _insert(session, table, rows, (), ignore_conflicts)[1]


def _insert(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    returning: Sequence[str],
    ignore_conflicts: bool,
) -> tuple[list[Any], int]:
    """The rows written (their ``returning`` columns) and how many, by the dialect's way."""
    if not rows:
        return [], 0
    if not _postgres(session):
        way = _sqlite_insert
    elif len(rows) <= _FEW:
        way = _values_insert
    else:
        way = _copy_then_insert
    return way(session, table, rows, returning, ignore_conflicts)


def _sqlite_insert(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    returning: Sequence[str],
    ignore_conflicts: bool,
) -> tuple[list[Any], int]:
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
    binds = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    processed = [(i, _once_per_value(bind)) for i, bind in enumerate(binds) if bind is not None]
    get = operator.itemgetter(*names)
    values: list[Any] = []
    for row in rows:
        value = list(get(row)) if len(names) > 1 else [row[names[0]]]
        for i, bind in processed:
            value[i] = bind(value[i])
        values.append(value)
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
            return [], cursor.rowcount  # executemany: the rows written, summed
        tail += " RETURNING " + ", ".join(quote(n) for n in returning)
        per_statement = max(1, _SQLITE_PARAMETERS // len(names))
        written: list[Any] = []
        for part in chunks(values, per_statement):
            flat = [value for row in part for value in row]
            cursor.execute(head + ", ".join(one for _ in part) + tail, flat)
            written.extend(tuple(found) for found in cursor.fetchall())
        return written, len(written)
    finally:
        cursor.close()


def _json_text(value: Any) -> str | None:
    return None if value is None else json_text(value)


def _once_per_value(bind: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``bind`` applied once per distinct value of a batch.

    A batch repeats its values (the instants stamped on every row, a context
    shared by a dossier's messages): converting a datetime to SQLite text or a
    context to JSON once instead of per row is most of the cost saved. Scalars
    are recognised by value, other objects (dicts, lists) by identity, which
    holds because the batch keeps them alive until it is written.
    """
    by_value: dict[Any, Any] = {}
    by_identity: dict[int, Any] = {}

    def process(value: Any) -> Any:
        if isinstance(value, _SCALARS):
            try:
                return by_value[value]
            except KeyError:
                processed = by_value[value] = bind(value)
                return processed
        try:
            return by_identity[id(value)]
        except KeyError:
            processed = by_identity[id(value)] = bind(value)
            return processed

    return process


_SCALARS = (str, int, float, dt.date, type(None))  # dt.datetime is a dt.date
_SQLITE_PARAMETERS = 30_000  # bound parameters per statement (SQLite allows 32,766)


# PostgreSQL: up to this many rows, one INSERT ... VALUES; beyond, COPY through a
# staging table, whose creation (a catalog write, once per transaction) costs more than
# a few rows' parameters: a single fire writes one audit row and a message or two.
_FEW = 50


def _values_insert(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    returning: Sequence[str],
    ignore_conflicts: bool,
) -> tuple[list[Any], int]:
    """PostgreSQL, a few rows: one ``INSERT ... VALUES`` statement, compiled once per
    table and columns (SQLAlchemy batches the rows of an executemany into it)."""
    statement = postgresql.insert(table)
    if ignore_conflicts:
        statement = statement.on_conflict_do_nothing()
    names = list(returning) or [column.name for column in table.primary_key.columns]
    written = [
        tuple(found)
        for found in session.execute(
            statement.returning(*(table.c[n] for n in names)), [dict(row) for row in rows]
        )
    ]
    return (written if returning else []), len(written)


def _copy_then_insert(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    returning: Sequence[str],
    ignore_conflicts: bool,
) -> tuple[list[Any], int]:
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
    # JSON values as text, each distinct one (by identity: a context shared by a
    # family's messages) written once.
    as_json = [
        (i, _once_per_value(_json_text))
        for i, n in enumerate(names)
        if isinstance(table.c[n].type, JSON)
    ]
    get = operator.itemgetter(*names)
    raw: psycopg.Connection[Any] = connection.connection.dbapi_connection  # type: ignore[assignment]
    with raw.cursor() as cursor, cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
        for row in rows:
            value = list(get(row)) if len(names) > 1 else [row[names[0]]]
            for i, dump in as_json:
                value[i] = dump(value[i])
            copy.write_row(value)
    statement = f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {staging}"
    if ignore_conflicts:
        statement += " ON CONFLICT DO NOTHING"
    if returning:
        statement += " RETURNING " + ", ".join(quote(n) for n in returning)
    result = connection.exec_driver_sql(statement)
    if returning:
        written = list(result.all())
        return written, len(written)
    return [], result.rowcount


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
