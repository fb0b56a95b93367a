"""One transaction per unit of work, committed only on request.

    with database.unit_of_work() as uow:
        dossier = get_dossier(uow.session, "malakoff-2023-2024-S0042")
        ...
        uow.commit()

Leaving the block without ``commit()`` (or by an exception) rolls back; the
objects loaded stay readable afterwards (detached, not expired). The
transaction begins when the block is entered: ``BEGIN IMMEDIATE`` on SQLite,
so a writer waits (up to the busy timeout) for the lock there rather than
failing half-way. ``read_only=True`` uses a deferred ``BEGIN`` instead and
refuses ``commit()``.

Database errors that mean "try again" are translated: the optimistic version
check on dossiers (``StaleDataError``), a concurrent audit append and
PostgreSQL serialization failures or deadlocks become ``ConcurrentUpdate``;
SQLite's "database is locked" after the busy timeout becomes ``DatabaseBusy``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self

from sqlalchemy import Engine, event, inspect
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from dacapo.engine.errors import ConcurrentUpdate, DacapoError, DatabaseBusy
from dacapo.store.engines import SQLITE_BEGIN
from dacapo.store.tables import Dossier

_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
_LOCK_SQLSTATES = {"55P03"}  # lock not available
BUSY_MESSAGE = (
    "The database is busy: another process kept it locked too long. Try again in a moment."
)
_FLUSHING = "dacapo_dossiers_flushing"
SIMULATED = "dacapo_simulated_clock"


def simulated_clock(session: Session) -> bool:
    """Whether this session's unit of work runs on a simulated clock (``--now``)."""
    return bool(session.info.get(SIMULATED, False))


# Two transactions appending the same seq to one dossier's audit chain.
_AUDIT_SEQ_CLASH = ("uq_audit_log_dossier_id_seq", "audit_log.dossier_id, audit_log.seq")


class UnitOfWork:
    """A Session in one transaction; ``commit()`` or it is rolled back."""

    session: Session

    def __init__(self, engine: Engine, *, read_only: bool = False, simulated: bool = False) -> None:
        self._engine = engine
        self.read_only = read_only
        self.simulated = simulated

    def __enter__(self) -> Self:
        bind = self._engine
        if self.read_only:
            bind = bind.execution_options(**{SQLITE_BEGIN: "DEFERRED"})
        self.session = _UnitSession(bind, expire_on_commit=False)
        self.session.info[SIMULATED] = self.simulated
        try:
            with translate_errors(self.session):
                self.session.connection()  # BEGIN (IMMEDIATE) now, not at the first statement
        except BaseException:
            self.session.close()
            raise
        return self

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        with translate_errors(self.session):
            self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        translated = translate(self.session, exc) if exc is not None else None
        self.session.close()  # rolls back whatever was not committed
        if translated is not None:
            raise translated from exc


@contextmanager
def translate_errors(session: Session) -> Iterator[None]:
    """Re-raise retryable database errors as Da Capo errors (rolling back first)."""
    try:
        yield
    except Exception as error:
        translated = translate(session, error)
        if translated is None:
            raise
        session.rollback()
        raise translated from error


def translate(session: Session, error: BaseException) -> DacapoError | None:
    """The Da Capo error for a database error, or None to let it through."""
    if isinstance(error, DacapoError):
        return None
    if isinstance(error, StaleDataError):
        return ConcurrentUpdate(_dossier_ref(session))
    if isinstance(error, IntegrityError) and any(m in str(error.orig) for m in _AUDIT_SEQ_CLASH):
        return ConcurrentUpdate(_dossier_ref(session))
    if isinstance(error, DBAPIError):
        sqlstate = getattr(error.orig, "sqlstate", None)
        if sqlstate in _RETRYABLE_SQLSTATES:
            return ConcurrentUpdate(_dossier_ref(session))
        if sqlstate in _LOCK_SQLSTATES or (
            isinstance(error, OperationalError) and "database is locked" in str(error.orig)
        ):
            return DatabaseBusy(BUSY_MESSAGE)
    return None


def _dossier_ref(session: Session) -> str | None:
    """The ref of the dossier(s) the failed flush was writing, to name in the error."""
    refs = session.info.get(_FLUSHING)
    return refs if isinstance(refs, str) else _refs_in(session)


def _refs_in(session: Session) -> str | None:
    """Dossiers changed in the session, or the only one loaded; no SQL is emitted."""
    written = {_ref(o) for o in (*session.dirty, *session.new) if isinstance(o, Dossier)}
    if not written - {None}:
        loaded = {_ref(o) for o in session.identity_map.values() if isinstance(o, Dossier)}
        written = loaded if len(loaded) == 1 else set()
    return ", ".join(sorted(ref for ref in written if ref)) or None


def _ref(dossier: Dossier) -> str | None:
    ref = inspect(dossier).dict.get("ref")
    return ref if isinstance(ref, str) else None


def _remember_dossiers(session: Session, flush_context: object, instances: object) -> None:
    # A failed flush expires every object: note the refs while they can be read.
    session.info[_FLUSHING] = _refs_in(session)


class _UnitSession(Session):
    """The sessions of units of work: their listener is registered once, on the class
    (``event.listen`` on each new session cost more than a whole dossier read)."""


event.listen(_UnitSession, "before_flush", _remember_dossiers)
