"""The campaign report's queries: set-based, ``GROUP BY``, no ORM object per dossier.

Each function runs one statement (two for the funnel) over the whole campaign
and returns plain tuples; ``dacapo.reports.build`` turns them into the report.

- ``dossier_counts``: dossiers per window, state, discipline and cycle (one
  join of ``dossier`` and ``student``): every count and completion rate of the
  report is a sum over these few hundred rows.
- ``outbox_counts``: messages per event, template, channel and status, for the
  campaign's dossiers.
- ``funnel_moves``: how many dossiers moved from one state to another on each
  local day, from the audit log: a dossier's first row (``seq`` 1, written
  ``"" -> invited`` by a campaign load, ``wish_registered -> wish_registered``
  by a wish) enters its ``to_state``; a later row leaves its ``from_state``
  (the state the single write path recorded it leaving) for its ``to_state``;
  rows that change nothing (documents, corrections, extensions) are left out.
  The local day is computed in SQL on PostgreSQL (``timezone()``); SQLite, which
  has no time zones, groups by the UTC minute and Python dates each minute.
  Window functions (``LAG`` over each dossier's rows) would read the same result
  three times slower on SQLite. A what-if ``--now`` that went back in time
  before a step's predecessor shows that step on its own day.
- ``guardians``: the contacts of the families the call list and the deferred
  list show (``LISTED_COLUMNS`` and ``Listed``: how those lists read a dossier,
  in ``store.report_documents.to_chase``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    Table,
    case,
    cast,
    func,
    null,
    or_,
    select,
)
from sqlmodel import Session

from dacapo.store.tables import AuditRow, CampaignVersion, Dossier, Family, Guardian, OutboxRow
from dacapo.store.tables import Student as StudentRow

DOSSIER: Table = Dossier.__table__  # type: ignore[attr-defined]
STUDENT: Table = StudentRow.__table__  # type: ignore[attr-defined]
FAMILY: Table = Family.__table__  # type: ignore[attr-defined]
GUARDIAN: Table = Guardian.__table__  # type: ignore[attr-defined]
AUDIT: Table = AuditRow.__table__  # type: ignore[attr-defined]
OUTBOX: Table = OutboxRow.__table__  # type: ignore[attr-defined]
VERSION: Table = CampaignVersion.__table__  # type: ignore[attr-defined]
D, S, F, G, A, M = (t.c for t in (DOSSIER, STUDENT, FAMILY, GUARDIAN, AUDIT, OUTBOX))


@dataclass(frozen=True, slots=True)
class CountRow:
    window: str
    workflow: str
    state: str
    discipline: str | None
    cycle: str | None
    dossiers: int


@dataclass(frozen=True, slots=True)
class OutboxCount:
    event: str
    template: str
    channel: str
    status: str
    messages: int


@dataclass(frozen=True, slots=True)
class Move:
    """``dossiers`` went from ``from_state`` (None: opened) to ``to_state`` on ``day``."""

    day: dt.date
    window: str
    from_state: str | None
    to_state: str
    dossiers: int


@dataclass(frozen=True, slots=True)
class Listed:
    """A dossier as the call list and the deferred list show it."""

    dossier_id: int
    ref: str
    workflow: str
    window: str
    state: str
    deadline: dt.date | None
    student_ref: str
    first_name: str | None
    last_name: str | None
    family_id: int
    family_ref: str


# The columns of ``Listed``, in order.
LISTED_COLUMNS = (
    D.id.label("dossier_id"), D.ref.label("ref"), D.workflow.label("workflow"),
    D.window.label("window"), D.state.label("state"), D.deadline.label("deadline"),
    S.ref.label("student_ref"), S.first_name.label("first_name"),
    S.last_name.label("last_name"), F.id.label("family_id"), F.ref.label("family_ref"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Contact:
    family_id: int
    position: int
    first_name: str | None
    last_name: str | None
    mobile: str | None
    email: str | None


def snapshot_reads(session: Session) -> None:
    """On PostgreSQL, make every query of this transaction read the same snapshot.

    Must run before the transaction's first query. SQLite's deferred read
    transaction already reads one snapshot.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql(
            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
        )


def dossier_counts(session: Session, campaign_id: str) -> list[CountRow]:
    """Dossiers per window, workflow, state, discipline and cycle."""
    keys = (D.window, D.workflow, D.state, S.discipline, S.cycle)
    query = (
        select(*keys, func.count())
        .select_from(DOSSIER.join(STUDENT, S.id == D.student_id))
        .where(of_campaign(session, campaign_id))
        .group_by(*keys)
    )
    return [CountRow(w, wf, s, d, c, int(n)) for w, wf, s, d, c, n in session.execute(query)]


def outbox_counts(session: Session, campaign_id: str) -> list[OutboxCount]:
    """The campaign's messages per event, template, channel and status."""
    keys = (M.event, M.template, M.channel, M.status)
    query = (
        select(*keys, func.count())
        .select_from(OUTBOX.join(DOSSIER, D.id == M.dossier_id))
        .where(of_campaign(session, campaign_id))
        .group_by(*keys)
    )
    return [OutboxCount(e, t, c, s, int(n)) for e, t, c, s, n in session.execute(query)]


def of_campaign(session: Session, campaign_id: str) -> ColumnElement[bool]:
    """``dossier.campaign_id = :campaign``, for queries over a whole campaign.

    On SQLite it is written so that it cannot use ``ix_dossier_campaign_id_state``:
    for every dossier of a campaign the index only adds a hop from index to table
    per row, and it makes SQLite walk dossiers first where following the audit log
    to its dossiers by primary key is cheaper (the funnel: a third faster at
    100,000 dossiers). PostgreSQL plans a whole campaign well either way.
    """
    if session.get_bind().dialect.name == "postgresql":
        return D.campaign_id == campaign_id
    return func.coalesce(D.campaign_id, "") == campaign_id


def _day_bucket(session: Session, at: Any, zone: ZoneInfo) -> tuple[Any, Callable[[Any], dt.date]]:
    """A SQL expression to group instants by, and the local date of one of its values.

    PostgreSQL: the local date itself (``timezone()``). SQLite has no time zones and
    keeps instants as UTC text (``2023-05-15 08:00:00.000000``): group by the UTC
    minute, whose local date Python knows exactly (every offset is whole minutes).
    """
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(zone.key, at), Date), _as_date

    def local(minute: str) -> dt.date:
        instant = dt.datetime.fromisoformat(minute).replace(tzinfo=dt.UTC)
        return instant.astimezone(zone).date()

    return func.substr(at, 1, 16), local


def funnel_moves(
    session: Session, campaign_id: str, zone: ZoneInfo, now: dt.datetime
) -> list[Move]:
    """State changes per local day, window and (from, to) state, up to ``now``."""
    bucket, day_of = _day_bucket(session, A.effective_at, zone)
    opening = A.seq == 1
    dated = (
        select(
            bucket.label("bucket"),
            D.window.label("window"),
            case((opening, null()), else_=A.from_state).label("from_state"),
            A.to_state.label("to_state"),
        )
        .select_from(AUDIT.join(DOSSIER, D.id == A.dossier_id))
        .where(of_campaign(session, campaign_id), A.effective_at <= now)
        .where(or_(opening, A.from_state != A.to_state))
        .subquery()
    )
    keys = (dated.c.bucket, dated.c.window, dated.c.from_state, dated.c.to_state)
    moves: dict[tuple[dt.date, str, str | None, str], int] = defaultdict(int)
    days: dict[Any, dt.date] = {}
    for value, window, before, after, n in session.execute(
        select(*keys, func.count()).group_by(*keys)
    ):
        if value not in days:
            days[value] = day_of(value)
        moves[days[value], window, before, after] += int(n)
    return [
        Move(day, window, before, after, n) for (day, window, before, after), n in moves.items()
    ]


def _as_date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def guardians(session: Session, campaign_id: str) -> dict[int, list[Contact]]:
    """The guardians of every family with a dossier in the campaign, by family and position.

    One query (a semi-join on the campaign's dossiers), rather than ``IN`` lists of
    the families listed: at 100,000 dossiers those are most of them anyway.
    """
    families = (
        select(S.family_id)
        .select_from(DOSSIER.join(STUDENT, S.id == D.student_id))
        .where(of_campaign(session, campaign_id))
    )
    query = (
        select(G.family_id, G.position, G.first_name, G.last_name, G.mobile, G.email)
        .where(G.family_id.in_(families))
        .order_by(G.family_id, G.position)
    )
    found: dict[int, list[Contact]] = {}
    for row in session.execute(query).all():
        found.setdefault(row[0], []).append(Contact(*row))
    return found
