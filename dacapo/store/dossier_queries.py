"""Listing dossiers: SQL filters and a name search, every value a bound parameter.

``list_dossiers`` reads columns, not ORM objects: one query, joined to the
pupil and the family, using ``ix_dossier_campaign_id_state`` for the usual
``--campaign C --state S``.

The search ignores case and accents on both sides (``fold``). ``unaccent`` is
on neither SQLite nor a bare PostgreSQL, so: on PostgreSQL, ``translate()`` of
``lower()`` (both built in); on SQLite, whose ``lower()`` knows only ASCII, a
deterministic Python function registered on the connection. Either way it
scans the rows the other filters leave (as any ``LIKE '%...%'`` would): about
2 s for 100,000 dossiers and no other filter (``bench/dossier_list.py``). A word
longer than any value searched finds nothing without a pattern: SQLite refuses
patterns over 50,000 bytes (« LIKE or GLOB pattern too complex »).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select
from sqlmodel import Session, col

from dacapo.engine.corrections import fold
from dacapo.store.tables import Dossier, Family, Guardian, Student

# lower() may leave accented capitals alone (PostgreSQL under the C locale): map both.
_ACCENTED = "àâäáãåéèêëîïíìôöóòõùûüúçÿýñ" + "àâäáãåéèêëîïíìôöóòõùûüúçÿýñ".upper()
_PLAIN = "aaaaaaeeeeiiiiooooouuuucyyn" * 2
_SQLITE_FOLD = "dacapo_fold"
# Folded. No name, ref or email is stored over 254 characters (engine.texts), nor over
# 1,000 once folded (« ﬃ » → « ffi »): a longer word is found nowhere.
LONGEST_WORD = 1000


def _fold_or_none(value: str | None) -> str | None:
    return None if value is None else fold(value)


def folding(session: Session) -> Any:
    """The SQL function folding a column like ``fold`` on this session's database."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return lambda column: func.replace(
            func.replace(func.translate(func.lower(column), _ACCENTED, _PLAIN), "œ", "oe"),
            "æ",
            "ae",
        )
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.create_function(_SQLITE_FOLD, 1, _fold_or_none, deterministic=True)
    return getattr(func, _SQLITE_FOLD)


@dataclass(frozen=True)
class DossierFilter:
    """What ``dacapo dossier list`` filters on in SQL (None: no filter)."""

    campaign: str | None = None
    states: Sequence[str] = ()
    window: str | None = None
    family: str | None = None
    search: str | None = None


@dataclass(frozen=True)
class DossierRow:
    id: int
    ref: str
    campaign: str
    campaign_version: int
    state: str
    window: str
    version: int
    student_ref: str
    student_name: str
    family_ref: str


def _like(term: str) -> str:
    escaped = fold(term).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _haystack(*columns: Any) -> Any:
    """The columns as one text, space-separated: one fold per row instead of one per column.

    Search words hold no space, so no word can match across two columns.
    """
    text: Any = func.coalesce(col(columns[0]), "")
    for column in columns[1:]:
        text = text + " " + func.coalesce(col(column), "")
    return text


def _search(text: str, folded: Any) -> ColumnElement[bool]:
    """Every word of ``text`` in some name or ref of the dossier, pupil, family or guardians."""
    dossier = folded(
        _haystack(Dossier.ref, Student.ref, Student.first_name, Student.last_name, Family.ref)
    )
    guardian = folded(_haystack(Guardian.first_name, Guardian.last_name, Guardian.email))
    clauses = []
    for term in text.split():
        if len(fold(term)) > LONGEST_WORD:  # found nowhere: no pattern (SQLite caps them)
            return false()
        pattern = _like(term)
        in_guardians = exists().where(
            col(Guardian.family_id) == col(Family.id), guardian.like(pattern, escape="\\")
        )
        clauses.append(or_(dossier.like(pattern, escape="\\"), in_guardians))
    return and_(*clauses)


def _filtered(session: Session, statement: Any, filters: DossierFilter) -> Any:
    statement = statement.join(Student, col(Student.id) == col(Dossier.student_id)).join(
        Family, col(Family.id) == col(Student.family_id)
    )
    if filters.campaign is not None:
        statement = statement.where(col(Dossier.campaign_id) == filters.campaign)
    if filters.states:
        statement = statement.where(col(Dossier.state).in_(list(filters.states)))
    if filters.window is not None:
        statement = statement.where(col(Dossier.window) == filters.window)
    if filters.family is not None:
        statement = statement.where(col(Family.ref) == filters.family)
    if filters.search and filters.search.split():
        statement = statement.where(_search(filters.search, folding(session)))
    return statement


def list_dossiers(
    session: Session, filters: DossierFilter, *, limit: int | None = None
) -> list[DossierRow]:
    """The dossiers matching ``filters``, by ref; at most ``limit`` of them."""
    statement = _filtered(
        session,
        select(
            *(
                col(column)
                for column in (
                    Dossier.id,
                    Dossier.ref,
                    Dossier.campaign_id,
                    Dossier.campaign_version,
                    Dossier.state,
                    Dossier.window,
                    Dossier.version,
                    Student.ref,
                    Student.first_name,
                    Student.last_name,
                    Family.ref,
                )
            )
        ),
        filters,
    ).order_by(col(Dossier.ref))
    if limit is not None:
        statement = statement.limit(limit)
    return [_row(values) for values in session.execute(statement).all()]


def _row(values: Any) -> DossierRow:
    id_, ref, campaign, campaign_version, state, window, version, student, first, last, family = (
        values
    )
    return DossierRow(
        id=id_,
        ref=ref,
        campaign=campaign,
        campaign_version=campaign_version,
        state=state,
        window=window,
        version=version,
        student_ref=student,
        student_name=" ".join(p for p in (first, last) if p) or student,
        family_ref=family,
    )


def count_dossiers(session: Session, filters: DossierFilter) -> int:
    statement = _filtered(session, select(func.count()).select_from(Dossier), filters)
    return int(session.execute(statement).scalar_one())
