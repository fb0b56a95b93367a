"""``dacapo report CAMPAIGN``: where a campaign stands, for the staff who follow it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dacapo.commands.context import clock, open_app

FORMATS = ("table", "csv", "json", "html")
TABLE_ROWS = 100  # call-list and deferred rows shown by the table format unless --limit


def report(
    campaign: Annotated[
        str,
        typer.Argument(help="Campaign id (see `dacapo campaign list`).", show_default=False),
    ],
    *,
    ctx: typer.Context,
    output_format: Annotated[
        str,
        typer.Option("--format", "-f", metavar="FORMAT", help="table, csv, json or html."),
    ] = "table",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            dir_okay=False,
            help="Write to FILE (default: stdout).",
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            min=0,
            metavar="N",
            help=(
                "At most N rows in the call list and in the deferred documents (0: all; "
                f"default: all, or {TABLE_ROWS} in the table format)."
            ),
        ),
    ] = None,
) -> None:
    """Dossiers per window and state, completion by discipline and cycle, the call list
    (open dossiers by deadline, what each lacks, the guardians' phone numbers), deferred
    documents still owed, messages per status and the daily funnel, at --now.

    html is one self-contained page (inline chart, no network); csv is one file with a
    `section` column (campaign, window, state, discipline, cycle, call_list, deferred,
    messages, funnel; see dacapo/reports/render_csv.py for every column).
    """
    from dacapo.engine.errors import BadInput
    from dacapo.reports.build import build_report, gc_paused
    from dacapo.reports.output import write_report

    if output_format not in FORMATS:
        raise BadInput(f"--format {output_format!r}: choose {', '.join(FORMATS)}")
    if limit is None and output_format == "table":
        limit = TABLE_ROWS
    cap = limit or None
    with gc_paused():
        with open_app(ctx) as app, app.database.unit_of_work(read_only=True) as uow:
            built = build_report(uow.session, campaign, now=clock(ctx), limit=cap)
        if output is None:
            write_report(built, output_format, sys.stdout)
            return
        partial = output.with_name(f".{output.name}.partial")
        try:
            with partial.open("w", encoding="utf-8", newline="") as out:
                write_report(built, output_format, out)
            partial.replace(output)  # all or nothing: a failed run leaves no half-written FILE
        except OSError as error:
            raise BadInput(f"{output}: cannot write: {error.strerror or error}") from None
        finally:
            partial.unlink(missing_ok=True)
    typer.echo(f"Report of {campaign} written to {output} ({output_format})", err=True)
