"""The root command: global options, and errors turned into exit codes. Nothing else.

Heavy modules (sqlmodel, apscheduler, jinja2...) are imported inside commands so
that ``dacapo --help`` and ``--version`` stay fast.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from dacapo import __version__
from dacapo.commands import (
    audit,
    campaign,
    db,
    document,
    dossier,
    family,
    notify,
    outbox,
    report,
    scheduler,
    simulate,
    wish,
)
from dacapo.commands.context import Globals, parse_now
from dacapo.engine.errors import DacapoError


class _Group(TyperGroup):
    """Translates Da Capo errors in one place: message on stderr, exit 1 or 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DacapoError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    cls=_Group,
    name="dacapo",
    help="Da Capo: re-enrolment campaigns for conservatoires.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(campaign.app, name="campaign")
app.add_typer(family.app, name="family")
app.add_typer(dossier.app, name="dossier")
app.add_typer(document.app, name="document")
app.add_typer(wish.app, name="wish")
app.add_typer(audit.app, name="audit")
app.add_typer(db.app, name="db")
app.add_typer(outbox.app, name="outbox")
app.add_typer(notify.app, name="notify")
app.command("report")(report.report)
app.add_typer(scheduler.app, name="scheduler")
app.command("simulate")(simulate.simulate)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dacapo {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    *,
    db: Annotated[
        str | None,
        typer.Option(
            envvar="DACAPO_DATABASE_URL",
            metavar="URL",
            help="Database URL (default: a SQLite file in the data directory).",
        ),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(
            envvar="DACAPO_NOW",
            metavar="ISO-8601",
            help="Act as if it were this instant, e.g. 2023-05-15T10:00:00+02:00.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors.")] = False,
    log_format: Annotated[
        str,
        typer.Option(
            metavar="FORMAT", help="Log lines: auto (console on a terminal), console or json."
        ),
    ] = "auto",
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Da Capo: re-enrolment campaigns for conservatoires."""
    from dacapo.logs import configure_logging

    if log_format not in ("auto", "console", "json"):
        raise typer.BadParameter("choose auto, console or json", param_hint="--log-format")
    configure_logging(log_format, quiet=quiet)  # type: ignore[arg-type]
    ctx.obj = Globals(db=db, now=parse_now(now), quiet=quiet)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
