"""The scheduler and the outbox in virtual time, and the families' mailboxes.

A round is what ``dacapo --now T scheduler tick`` does: ``run_due_work`` at
the virtual instant (invitations, reminders, closings, chases, lapsed
extensions), then one dispatch of the due outbox rows through the file
channel (``<data_dir>/outbox/``), the dispatcher's clock being the same
virtual instant. What the dispatch sent is then read back per family: that
is what lands in their mailboxes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dacapo.bootstrap import App
from dacapo.notifications.dispatcher import Dispatcher
from dacapo.notifications.selection import configured_channels, outbox_folder
from dacapo.scheduler.jobs import Done, run_due_work
from dacapo.simulation import queries
from dacapo.store.schedule import DueItem, due_items

WORKER = "simulation"


@dataclass(frozen=True)
class Mail:
    """One message sent to a family."""

    family_ref: str
    dossier_ref: str | None
    event: str
    template: str
    channel: str


@dataclass(frozen=True)
class Round:
    now: dt.datetime
    done: list[Done]
    extensions_lapsed: int
    sent: int
    mail: list[Mail] = field(default_factory=list)


class Clockwork:
    """Scheduler rounds and outbox dispatches at virtual instants."""

    def __init__(self, app: App, worker: str = WORKER) -> None:
        self.database = app.database
        self.worker = worker
        self.now: dt.datetime | None = None
        self.folder = outbox_folder(app.settings)
        channels = configured_channels(app.settings, choice="file", clock=self._clock)
        self._dispatcher = Dispatcher(
            app.database, channels.email, channels.sms, worker, self._clock
        )

    def _clock(self) -> dt.datetime:
        assert self.now is not None, "no round is running"
        return self.now

    def due_between(self, start: dt.datetime, end: dt.datetime) -> list[DueItem]:
        """Pending due work with its instant in ``[start, end)``."""
        with self.database.unit_of_work(read_only=True) as uow:
            pending = due_items(uow.session)
        return [item for item in pending if start <= item.due_at < end]

    def round(self, now: dt.datetime) -> Round:
        """Due work at ``now``, then the messages due at ``now``; what was sent, per family."""
        self.now = now
        outcome = run_due_work(self.database, now=now, worker=self.worker)
        sent = self._dispatcher.run().sent
        return Round(now, outcome.done, outcome.extensions_lapsed, sent, self._delivered(now))

    def _delivered(self, now: dt.datetime) -> list[Mail]:
        return [Mail(*row) for row in queries.sent_at(self.database, now)]

    def close(self) -> None:
        self._dispatcher.close()
