"""Set-based helpers shared by the bulk paths (family import, campaign load).

Everything here runs SQLAlchemy Core statements on the session's connection,
inside the caller's transaction: no ORM objects, one statement per chunk.

SQLite gets plain ``executemany`` (in-process, a few microseconds a row).
PostgreSQL gets one array parameter per column instead: ``INSERT ... SELECT
unnest(:a), unnest(:b) ...``, ``UPDATE ... FROM (SELECT unnest(...))`` and
``= ANY(:array)``. A statement with thousands of placeholders, or thousands
of pipelined ones, costs psycopg more client time than the server spends
writing the rows; one array per column costs almost nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, Table, any_, bindparam, cast, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
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
    """
    if not rows:
        return []
    insert = postgresql.insert if _postgres(session) else sqlite.insert
    names = list(rows[0])
    written: list[Any] = []
    for part in chunks(rows, ROWS_CHUNK):
        statement = insert(table)
        if _postgres(session):
            arrays = [
                func.unnest(_array(table.c[n], [r[n] for r in part], f"a_{n}")) for n in names
            ]
            statement = statement.from_select(names, select(*arrays))
        if ignore_conflicts:
            statement = statement.on_conflict_do_nothing()
        params = None if _postgres(session) else list(part)
        if returning:
            columns = (table.c[n] for n in returning)
            written.extend(session.execute(statement.returning(*columns), params).all())
        else:
            session.execute(statement, params)
    return written


def update_by_id(
    session: Session, table: Table, fields: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> None:
    """``UPDATE table SET fields WHERE id = ...`` for every row (``id`` and ``fields`` keys)."""
    for part in chunks(rows, ROWS_CHUNK):
        if _postgres(session):
            names = ["id", *fields]
            source = select(
                *(
                    func.unnest(_array(table.c[n], [r[n] for r in part], f"a_{n}")).label(n)
                    for n in names
                )
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
