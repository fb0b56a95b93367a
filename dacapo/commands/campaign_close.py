"""``dacapo campaign close ID --window NAME``: lapse what a window left open, once it has ended.

Registered on the ``campaign`` group by ``commands/campaign.py``. The work is
``store.closing.close_window``; this module reads the clock and prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from dacapo.commands.context import log, open_app
from dacapo.commands.output import print_json, print_table

if TYPE_CHECKING:
    from dacapo.engine.closing import CloseOutcome


def close(
    campaign_id: Annotated[
        str, typer.Argument(metavar="ID", help="A campaign id.", show_default=False)
    ],
    *,
    ctx: typer.Context,
    window: Annotated[
        str, typer.Option("--window", metavar="NAME", help="The window to close, e.g. reenrolment.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would lapse; write nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Lapse the window's non-final dossiers, stamped with its closing instant.

    Refused before the window's end. Dossiers with an extension are kept: they
    lapse at their own deadline. One audit row and the lapse notices each.
    """
    from dacapo.store.closing import close_window

    with open_app(ctx) as dacapo:
        outcome = close_window(
            dacapo.database, campaign_id, window, now=dacapo.now(), dry_run=dry_run
        )
    if not dry_run:
        log(campaign=campaign_id, window=window).info(
            "campaign.window_closed", lapsed=outcome.lapsed, notices=outcome.notices
        )
    if as_json:
        print_json(outcome)
    else:
        show(outcome)


def show(outcome: CloseOutcome) -> None:
    """The closing instant; a table per state and one per extended deadline; the totals."""
    from zoneinfo import ZoneInfo

    from dacapo.campaigns.describe import instant_text

    o, zone = outcome, ZoneInfo(outcome.timezone)
    typer.echo(f"{o.campaign_id}: window {o.window} closed at {instant_text(o.closes_at, zone)}")
    if o.states:
        print_table(
            f"{'Would lapse' if o.dry_run else 'Lapsed'}: {_count(o.lapsed, 'dossier')}",
            ["workflow", "state", "lapses to", "dossiers"],
            [(s.workflow, s.state, s.to_state, s.count) for s in o.states],
        )
    if o.extensions:
        print_table(
            f"Kept open by an extension: {_count(o.kept_with_extension, 'dossier')}",
            ["deadline", f"lapses at ({zone.key})", "lapses at (UTC)", "dossiers"],
            [(f"{e.deadline:%d/%m/%Y}", f"{e.lapses_at.astimezone(zone):%Y-%m-%d %H:%M}",
              f"{e.lapses_at:%Y-%m-%d %H:%M}", e.count) for e in o.extensions],
        )  # fmt: skip
    for s in o.left:
        typer.echo(f"Left as they are: {_count(s.count, 'dossier')} in {s.workflow}.{s.state}"
                   f" ({s.why})")  # fmt: skip
    notices, chunks = _count(o.notices, "lapse notice"), _count(o.chunks, "chunk")
    if o.dry_run:
        typer.echo(f"Would lapse {_count(o.lapsed, 'dossier')} and queue {notices} ({chunks}).")
        typer.echo("Dry run: nothing written.")
    elif o.lapsed:
        typer.echo(f"Lapsed {_count(o.lapsed, 'dossier')} and queued {notices} ({chunks}).")
    else:
        typer.echo("Nothing left to lapse: every dossier of the window is final or extended.")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
