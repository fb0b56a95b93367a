"""``dacapo simulate``: a whole campaign played out in virtual time, for a seed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dacapo.commands.context import globals_of
from dacapo.engine.errors import BadInput

DEFAULT_OUT = Path("out/simulation")
DEFAULT_FILES = Path("examples/documents")


def simulate(
    ctx: typer.Context,
    campaign: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="The campaign file, e.g. campaign-2023-2024.yaml.",
            show_default=False,
        ),
    ],
    *,
    families: Annotated[
        int, typer.Option(min=1, max=5000, metavar="N", help="How many families to make up.")
    ] = 60,
    seed: Annotated[
        int, typer.Option(metavar="S", help="The same seed plays out the same campaign.")
    ] = 1,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="An empty database to play in (default: a new SQLite file in --out). "
            "The configured database (DACAPO_DATABASE_URL) is never used.",
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            metavar="DIR",
            help="Where the database, the messages sent, the journal and report.html go; "
            "a previous simulation's files there are replaced.",
        ),
    ] = DEFAULT_OUT,
    documents: Annotated[
        Path,
        typer.Option(metavar="DIR", help="The evidence files the families send."),
    ] = DEFAULT_FILES,
) -> None:
    """Play a campaign out day by day in virtual time: made-up families, the real
    engine, the scheduler's jobs and the outbox (messages written as files).

    Families behave like real ones (early birds, those who wait for a reminder,
    a wrong document rejected by staff, withdrawals, silence until the lapse, a
    late family reopened with a deadline); new pupils express wishes at the desk.
    Prints the number of dossiers per state at the end of each day, then a summary;
    writes the campaign report to DIR/report.html.
    """
    from dacapo.bootstrap import bootstrap, load_settings
    from dacapo.commands.campaign import read_campaign
    from dacapo.simulation.run import Plan, Simulation
    from dacapo.simulation.setup import fresh_database
    from dacapo.simulation.world import missing_files

    if globals_of(ctx).now is not None:
        raise typer.BadParameter(
            "a simulation runs its own virtual time; leave --now out", param_hint="--now"
        )
    missing = missing_files(documents)
    if missing:
        raise BadInput(f"--documents {documents}: missing {', '.join(missing)}")
    loaded = read_campaign(campaign)
    fresh_database(db, out)
    settings = load_settings(data_dir=out, database_url=db or "", now=None)
    with bootstrap(settings) as app:
        plan = Plan(families=families, seed=seed, files=documents.resolve())
        result = Simulation(app, loaded, plan, typer.echo).run()
        shown = app.database.url
    typer.echo("")
    if result.unexpected:
        typer.echo(f"{len(result.unexpected)} dossiers did not end where their persona leads:")
        for line in result.unexpected:
            typer.echo(f"  {line}")
    typer.echo(f"Report: {out / 'report.html'}")
    typer.echo(f"Messages sent: {result.message_files} files in {out / 'outbox'}/")
    typer.echo(f"Every action, minute by minute: {out / 'journal.txt'}")
    typer.echo(f"Database: {shown}")
