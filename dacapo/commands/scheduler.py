"""``dacapo scheduler``: run the campaign's clock, or look at what it will do.

- ``run``: the long-running scheduler (one leader; others wait to take over);
- ``tick``: every due item once, then exit (for cron, and for simulations);
- ``plan``: the coming work, in local time and UTC;
- ``status``: the leader, its last round, what is pending.
"""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dacapo.commands.context import clock, globals_of, open_app, parse_now
from dacapo.commands.options import JsonOpt

if TYPE_CHECKING:
    import datetime as dt

    from dacapo.bootstrap import App
    from dacapo.store.schedule import DueItem

app = typer.Typer(
    help="Open and close windows, send reminders: run the scheduler or look at its plan.",
    no_args_is_help=True,
)
WorkerOpt = Annotated[
    str | None, typer.Option(metavar="NAME", help="This scheduler's name (default host:pid).")
]
DispatchOpt = Annotated[
    bool, typer.Option("--dispatch/--no-dispatch", help="Also send the due outbox messages.")
]


def _worker(name: str | None) -> str:
    return name or f"{socket.gethostname()}:{os.getpid()}"


def _dispatcher(app: App, worker: str) -> Any:
    """A function sending the due outbox messages at ``now``, through the configured channels."""
    from dacapo.notifications.dispatcher import Dispatcher
    from dacapo.notifications.selection import configured_channels

    def dispatch(now: dt.datetime) -> int:
        moment = lambda: now  # noqa: E731  (the round's now: simulated or real)
        channels = configured_channels(app.settings, choice="auto", clock=moment)
        dispatcher = Dispatcher(app.database, channels.email, channels.sms, worker, moment)
        try:
            return dispatcher.run().sent
        finally:
            dispatcher.close()

    return dispatch


@app.command()
def run(
    *,
    ctx: typer.Context,
    interval: Annotated[
        float, typer.Option(min=1.0, metavar="S", help="Seconds between rounds.")
    ] = 30.0,
    lease: Annotated[
        float,
        typer.Option(
            min=2.0,
            metavar="S",
            help="Leader lease (SQLite): a dead leader's is taken over after S seconds.",
        ),
    ] = 60.0,
    worker: WorkerOpt = None,
    dispatch: DispatchOpt = True,
) -> None:
    """Run until SIGTERM or Ctrl-C: due work on time, outbox sent, one leader at a time.

    A second scheduler started beside the first waits, and takes over when the
    first one dies. Logs are JSON lines (structlog) unless on a terminal.
    """
    import datetime as dt

    from dacapo.scheduler.runner import SchedulerProcess
    from dacapo.store.leadership import Leadership

    if globals_of(ctx).now is not None:
        raise typer.BadParameter(
            "the scheduler follows the real clock; simulate with `dacapo --now T scheduler tick`",
            param_hint="--now",
        )
    name = _worker(worker)
    with open_app(ctx) as app:
        leadership = Leadership(app.database, name, ttl=dt.timedelta(seconds=lease))
        process = SchedulerProcess(
            app.database,
            leadership,
            worker=name,
            clock=lambda: dt.datetime.now(dt.UTC),
            dispatch=_dispatcher(app, name) if dispatch else None,
            interval=interval,
        )
        process.run()


@app.command()
def tick(
    *,
    ctx: typer.Context,
    now: Annotated[
        str | None,
        typer.Option(metavar="ISO", help="Do the work due at this instant (default: the clock)."),
    ] = None,
    worker: WorkerOpt = None,
    dispatch: DispatchOpt = True,
) -> None:
    """Do every due item once (invitations, reminders, closings, chases), then exit.

    Meant for cron. If another scheduler leads, does nothing and says who.
    """
    import datetime as dt

    from dacapo.scheduler.runner import SchedulerProcess
    from dacapo.store.leadership import Leadership, leader

    moment = parse_now(now) if now is not None else None
    if moment is not None:
        globals_of(ctx).now = moment
    at = clock(ctx)
    name = _worker(worker)
    with open_app(ctx) as app:
        leadership = Leadership(app.database, name)
        process = SchedulerProcess(
            app.database,
            leadership,
            worker=name,
            clock=lambda: at,
            dispatch=_dispatcher(app, name) if dispatch else None,
        )
        try:
            done = process.round()
        finally:
            leadership.release()  # a tick lets go at once (a no-op if it did not lead)
        if not done.led:
            info = leader(app.database)
            who = f"{info.holder} (until {info.expires_at:%Y-%m-%d %H:%M:%S} UTC)" if info else "?"
            typer.echo(f"Another scheduler leads: {who}. Nothing done.")
            return
    assert done.outcome is not None
    for item in done.outcome.done:
        typer.echo(f"{item.status:8} {item.item.campaign_id} {item.item.key}: {item.outcome}")
    if done.outcome.extensions_lapsed:
        typer.echo(f"{done.outcome.extensions_lapsed} extended dossiers lapsed at their deadline")
    if not done.outcome.done:
        typer.echo(f"Nothing due at {at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC.")
    if dispatch:
        typer.echo(f"{done.sent} messages sent")


def _local(item: DueItem, zones: dict[str, Any]) -> str:
    zone = zones.get(item.campaign_id)
    return item.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if zone else ""


def _zones(app: App, campaign_ids: set[str]) -> dict[str, Any]:
    from dacapo.store.campaign_versions import campaign_of, latest_campaign_version

    zones: dict[str, Any] = {}
    with app.database.unit_of_work(read_only=True) as uow:
        for campaign_id in campaign_ids:
            row = latest_campaign_version(uow.session, campaign_id)
            if row is not None:
                zones[campaign_id] = campaign_of(row).zone
    return zones


@app.command()
def plan(
    *,
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Argument(help="A campaign id (default: all).")] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Also list work done, skipped or cancelled.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """The scheduled work, by instant, in the campaign's local time and in UTC."""
    from dacapo.commands.output import print_json, print_table
    from dacapo.engine.errors import NotFound
    from dacapo.store.campaign_versions import latest_campaign_version
    from dacapo.store.schedule import due_items

    with open_app(ctx) as app:
        with app.database.unit_of_work(read_only=True) as uow:
            if campaign is not None and latest_campaign_version(uow.session, campaign) is None:
                raise NotFound(f"no campaign {campaign!r} loaded (see `dacapo campaign list`)")
            items = due_items(
                uow.session, campaign_id=campaign, statuses=None if all_ else ("pending",)
            )
        zones = _zones(app, {i.campaign_id for i in items})
    if as_json:
        print_json(
            [
                {
                    "campaign": i.campaign_id,
                    "key": i.key,
                    "kind": i.kind,
                    "subject": i.subject,
                    "due_at": i.due_at,
                    "due_local": _local(i, zones),
                    "skip_after": i.late_after,
                    "status": i.status,
                    "done_at": i.done_at,
                    "outcome": i.outcome,
                    "last_error": i.last_error,
                }
                for i in items
            ]
        )
        return
    several = len({i.campaign_id for i in items}) > 1
    columns = [*(["campaign"] if several else []), "work", "local time", "UTC"]
    if all_:
        columns += ["status", "outcome"]
    rows = []
    for i in items:
        row = [*([i.campaign_id] if several else []), i.key, _local(i, zones)]
        row.append(f"{i.due_at:%Y-%m-%d %H:%M} UTC")
        if all_:
            row += [i.status, i.outcome or i.last_error or ""]
        rows.append(row)
    title = "Scheduled work" + ("" if all_ else " (pending)")
    if not several and items:
        title += f" of {items[0].campaign_id}"
    print_table(title, columns, rows)
    if not rows:
        typer.echo("Nothing scheduled: load a campaign first." if all_ else "Nothing pending.")


@app.command()
def status(*, ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Who leads, when the last round ran, what is pending (due work and messages)."""
    import datetime as dt

    from dacapo.commands.output import print_json
    from dacapo.store.leadership import leader
    from dacapo.store.outbox_admin import status_counts
    from dacapo.store.schedule import due_items

    with open_app(ctx) as app:
        info = leader(app.database)
        with app.database.unit_of_work(read_only=True) as uow:
            pending = due_items(uow.session)
            messages = status_counts(uow.session)
        zones = _zones(app, {i.campaign_id for i in pending})
    real_now = dt.datetime.now(dt.UTC)
    overdue = [i for i in pending if i.due_at <= clock(ctx)]
    if as_json:
        print_json(
            {
                "leader": None
                if info is None
                else {
                    "holder": info.holder,
                    "since": info.acquired_at,
                    "lease_until": info.expires_at,
                    "alive": info.alive(real_now),
                    "last_round_at": info.last_tick_at,
                    "last_round_now": info.last_tick_now,
                },
                "pending": len(pending),
                "overdue": len(overdue),
                "next": None
                if not pending
                else {
                    "key": pending[0].key,
                    "campaign": pending[0].campaign_id,
                    "due_at": pending[0].due_at,
                },
                "outbox": messages,
            }
        )
        return
    if info is None:
        typer.echo("Leader: none has run yet.")
    else:
        state = "active" if info.alive(real_now) else "gone (lease expired)"
        typer.echo(
            f"Leader: {info.holder}, {state}, lease until {info.expires_at:%Y-%m-%d %H:%M:%S} UTC"
        )
        if info.last_tick_at is not None:
            ran_for = (
                f" (for {info.last_tick_now:%Y-%m-%d %H:%M} UTC)" if info.last_tick_now else ""
            )
            typer.echo(f"Last round: {info.last_tick_at:%Y-%m-%d %H:%M:%S} UTC{ran_for}")
    typer.echo(f"Pending work: {len(pending)} ({len(overdue)} due now)")
    if pending:
        first = pending[0]
        typer.echo(
            f"Next: {first.campaign_id} {first.key} at {_local(first, zones)}"
            f" ({first.due_at:%Y-%m-%d %H:%M} UTC)"
        )
    counts = ", ".join(f"{n} {s}" for s, n in sorted(messages.items())) or "none"
    typer.echo(f"Messages: {counts}")
