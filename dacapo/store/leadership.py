"""One active scheduler: a PostgreSQL advisory lock, or a lease row on SQLite.

``Leadership.acquire()`` tries once and returns whether this process leads
now; call it again before each round of work (it renews what it holds).

- PostgreSQL: ``pg_try_advisory_lock`` on a connection of our own, held for
  as long as this process leads; when the process dies, PostgreSQL closes
  the connection and frees the lock, and the next candidate takes it.
- SQLite: the ``lease`` row named ``scheduler``, taken in an immediate
  transaction when free, held by us, or expired; renewed on each call. A
  leader that dies stops renewing, and its lease runs out after ``ttl``.

Both write the lease row (holder, since, until) so that ``dacapo scheduler
status`` can name the leader. Leases run on the real clock: they are about
processes being alive, not about the campaign's (possibly simulated) time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Table, select, text, update

from dacapo.store.database import Database
from dacapo.store.tables import Lease
from dacapo.store.types import utcnow

LEASE: Table = Lease.__table__  # type: ignore[attr-defined]
SCHEDULER = "scheduler"
# The advisory lock's key: one per schema, so that deployments (and test runs) sharing a
# PostgreSQL database in schemas of their own each have their own leader.
ADVISORY_KEY = "hashtext(current_schema() || '/dacapo-scheduler')"
DEFAULT_TTL = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class LeaderInfo:
    holder: str
    acquired_at: dt.datetime | None
    expires_at: dt.datetime
    last_tick_at: dt.datetime | None
    last_tick_now: dt.datetime | None

    def alive(self, at: dt.datetime) -> bool:
        return self.expires_at > at


class Leadership:
    def __init__(
        self,
        database: Database,
        holder: str,
        *,
        ttl: dt.timedelta = DEFAULT_TTL,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.database = database
        self.holder = holder
        self.ttl = ttl
        self.clock = clock
        self._lock: Connection | None = None  # PostgreSQL: the connection holding the lock

    @property
    def postgres(self) -> bool:
        return self.database.dialect == "postgresql"

    def acquire(self) -> bool:
        """Lead now (taking or renewing), or False when another scheduler does."""
        if self.postgres and not self._hold_advisory_lock():
            return False
        now = self.clock()
        with self.database.unit_of_work() as uow:
            session = uow.session
            row = session.execute(select(LEASE).where(LEASE.c.name == SCHEDULER)).first()
            if row is None:
                session.execute(
                    LEASE.insert().values(
                        name=SCHEDULER,
                        holder=self.holder,
                        acquired_at=now,
                        expires_at=now + self.ttl,
                    )
                )
            elif row.holder == self.holder:
                session.execute(
                    update(LEASE).where(LEASE.c.name == SCHEDULER).values(expires_at=now + self.ttl)
                )
            elif self.postgres or row.expires_at <= now:
                # PostgreSQL: the advisory lock is the truth, the row only says who.
                session.execute(
                    update(LEASE)
                    .where(LEASE.c.name == SCHEDULER)
                    .values(holder=self.holder, acquired_at=now, expires_at=now + self.ttl)
                )
            else:
                return False
            uow.commit()
        return True

    def _hold_advisory_lock(self) -> bool:
        if self._lock is not None:
            try:
                self._lock.execute(text("SELECT 1"))
                return True
            except Exception:  # the connection died: so did our lock
                self._drop_lock_connection()
        # Autocommit: the lock belongs to the session, and the connection never
        # sits "idle in transaction" while it leads.
        connection = self.database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        query = text(f"SELECT pg_try_advisory_lock({ADVISORY_KEY})")
        if connection.execute(query).scalar_one():
            self._lock = connection
            return True
        connection.close()
        return False

    def _drop_lock_connection(self) -> None:
        if self._lock is not None:
            try:
                self._lock.invalidate()
            finally:
                self._lock = None

    def record_tick(self, now: dt.datetime) -> None:
        """Note that a round of work ran (real time, and the ``now`` it ran for)."""
        with self.database.unit_of_work() as uow:
            uow.session.execute(
                update(LEASE)
                .where(LEASE.c.name == SCHEDULER, LEASE.c.holder == self.holder)
                .values(last_tick_at=self.clock(), last_tick_now=now)
            )
            uow.commit()

    def release(self) -> None:
        """Stop leading: expire our lease now and free the advisory lock."""
        try:
            with self.database.unit_of_work() as uow:
                uow.session.execute(
                    update(LEASE)
                    .where(LEASE.c.name == SCHEDULER, LEASE.c.holder == self.holder)
                    .values(expires_at=self.clock())
                )
                uow.commit()
        finally:
            if self._lock is not None:
                try:
                    self._lock.execute(text(f"SELECT pg_advisory_unlock({ADVISORY_KEY})"))
                    self._lock.close()
                except Exception:
                    self._drop_lock_connection()
                self._lock = None


def leader(database: Database) -> LeaderInfo | None:
    """The lease row: who leads (or led last), until when, and their last round."""
    with database.unit_of_work(read_only=True) as uow:
        row = uow.session.execute(select(LEASE).where(LEASE.c.name == SCHEDULER)).first()
    if row is None:
        return None
    return LeaderInfo(
        row.holder, row.acquired_at, row.expires_at, row.last_tick_at, row.last_tick_now
    )
