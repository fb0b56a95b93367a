"""``dacapo outbox``: send queued messages, and follow, retry or cancel them."""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dacapo.commands.context import clock, open_app
from dacapo.commands.options import JsonOpt

if TYPE_CHECKING:
    from dacapo.store.tables import OutboxRow

app = typer.Typer(
    help="Send queued messages; list, show, retry and cancel them.", no_args_is_help=True
)
IdArg = Annotated[int, typer.Argument(help="Message id (see `dacapo outbox list`).", min=1)]


@app.command()
def dispatch(
    *,
    ctx: typer.Context,
    limit: Annotated[int | None, typer.Option(min=1, help="At most N messages.")] = None,
    loop: Annotated[bool, typer.Option("--loop", help="Keep polling until stopped.")] = False,
    interval: Annotated[
        float, typer.Option(min=0.1, metavar="S", help="Seconds between polls with --loop.")
    ] = 5.0,
    worker: Annotated[
        str | None, typer.Option(metavar="NAME", help="This dispatcher's name (default host:pid).")
    ] = None,
    channel: Annotated[
        str,
        typer.Option(
            metavar="C", help="auto (SMTP/gateway when configured, else files), file or console."
        ),
    ] = "auto",
) -> None:
    """Send the messages that are due; print how many were sent, retried and failed.

    With --loop, poll every --interval seconds until SIGTERM or Ctrl-C, finishing
    the message in flight. Several dispatchers may run at once.
    """
    import signal

    from dacapo.notifications.dispatcher import Dispatcher
    from dacapo.notifications.selection import configured_channels

    if channel not in ("auto", "file", "console"):
        raise typer.BadParameter("choose auto, file or console", param_hint="--channel")
    with open_app(ctx) as app:
        now = lambda: clock(ctx)  # noqa: E731
        channels = configured_channels(app.settings, choice=channel, clock=now)  # type: ignore[arg-type]
        dispatcher = Dispatcher(
            app.database,
            channels.email,
            channels.sms,
            worker or f"{socket.gethostname()}:{os.getpid()}",
            now,
        )
        previous: dict[signal.Signals, Any] = {}

        def stop(signum: int, frame: object) -> None:
            dispatcher.stop.set()

        if loop:
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, stop)
        try:
            tally = dispatcher.loop(interval) if loop else dispatcher.run(limit)
        finally:
            dispatcher.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    typer.echo(
        f"Sent {tally.sent}, retried {tally.retried}, failed {tally.failed} "
        f"({channels.description})"
    )


def _row(row: OutboxRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "key": row.idempotency_key,
        "status": row.status,
        "event": row.event,
        "channel": row.channel,
        "recipient": row.recipient,
        "template": row.template,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at,
        "claimed_by": row.claimed_by,
        "sent_at": row.sent_at,
        "last_error": row.last_error,
        "created_at": row.created_at,
        "dossier_id": row.dossier_id,
        "family_id": row.family_id,
        "context": row.context,
    }


@app.command("list")
def list_(
    *,
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(metavar="S", help="pending, sending, sent, failed or cancelled."),
    ] = None,
    limit: Annotated[int | None, typer.Option(min=0, help="At most N messages (0: all).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Messages by id, with their status, attempts and last error."""
    from dacapo.commands.output import print_json, print_table
    from dacapo.store.outbox_admin import list_outbox, status_counts

    cap = (None if as_json else 1000) if limit is None else (limit or None)
    with open_app(ctx) as app, app.database.unit_of_work(read_only=True) as uow:
        rows = list_outbox(uow.session, status=status, limit=cap)
        counts = status_counts(uow.session)
    if as_json:
        print_json([_row(r) for r in rows])
        return
    columns = ["id", "status", "event", "channel", "recipient", "attempts", "next attempt", "error"]
    print_table(
        None,
        columns,
        [
            (r.id, r.status, r.event, r.channel, r.recipient, r.attempts,
             r.next_attempt_at.isoformat(timespec="seconds"), (r.last_error or "")[:60])
            for r in rows
        ],
    )  # fmt: skip
    typer.echo(", ".join(f"{n} {status}" for status, n in counts.items()))


def _preview(row: OutboxRow, now: Any, session: Any) -> dict[str, Any]:
    from dacapo.notifications.errors import TemplateProblem
    from dacapo.notifications.render import Renderer, campaign_folder
    from dacapo.store.outbox_context import render_inputs

    source = render_inputs(session, [row], now)[row.id or 0]
    if isinstance(source, str):
        return {"problem": source}
    try:
        renderer = Renderer(campaign_folder(source.campaign.notifications.templates_dir))
        if row.channel == "sms":
            sms = renderer.render(row.template, "sms", source.variables)
            return {"text": sms.text, "segments": sms.segments, "encoding": sms.encoding}
        email = renderer.render(row.template, "email", source.variables)
        return {"subject": email.subject, "text": email.text, "html": email.html}
    except TemplateProblem as problem:
        return {"problem": str(problem)}


@app.command()
def show(row_id: IdArg, *, ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """One message: its row, and the message as it would be rendered now."""
    from dacapo.commands.output import print_json
    from dacapo.store.outbox_admin import get_outbox

    with open_app(ctx) as app, app.database.unit_of_work(read_only=True) as uow:
        row = get_outbox(uow.session, row_id)
        preview = _preview(row, clock(ctx), uow.session)
    if as_json:
        print_json({**_row(row), "preview": preview})
        return
    for name, value in _row(row).items():
        if value is not None and name != "context":
            shown = value.isoformat(timespec="seconds") if hasattr(value, "isoformat") else value
            typer.echo(f"{name}: {shown}")
    typer.echo("")
    if "problem" in preview:
        typer.echo(f"Cannot render: {preview['problem']}")
    elif "subject" in preview:
        typer.echo(f"Subject: {preview['subject']}\n\n{preview['text']}")
    else:
        size = f"{preview['segments']} segment(s), {preview['encoding']}"
        typer.echo(f"SMS ({size}):\n{preview['text']}")


@app.command()
def retry(row_id: IdArg, *, ctx: typer.Context) -> None:
    """Send a failed message again at the next dispatch."""
    from dacapo.store.outbox_admin import retry_outbox

    with open_app(ctx) as app, app.database.unit_of_work() as uow:
        retry_outbox(uow.session, row_id, now=clock(ctx))
        uow.commit()
    typer.echo(f"Message {row_id} will be sent at the next dispatch")


@app.command()
def cancel(row_id: IdArg, *, ctx: typer.Context) -> None:
    """Never send a pending or failed message (the row is kept)."""
    from dacapo.store.outbox_admin import cancel_outbox

    with open_app(ctx) as app, app.database.unit_of_work() as uow:
        cancel_outbox(uow.session, row_id)
        uow.commit()
    typer.echo(f"Message {row_id} cancelled")
