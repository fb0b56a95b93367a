"""``dacapo db``: schema migrations."""

from __future__ import annotations

import typer

from dacapo.commands.context import globals_of

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Migrate the configured database to the schema this version of Da Capo needs.

    The default SQLite file is migrated on first use anyway; a shared PostgreSQL
    database is only ever migrated by this command.
    """
    from dacapo.bootstrap import load_settings
    from dacapo.store.database import database_url
    from dacapo.store.database import upgrade as migrate_to_head

    options = globals_of(ctx)
    settings = load_settings(**({"database_url": options.db} if options.db else {}))
    data_dir = settings.data_dir.expanduser().resolve()
    shown = database_url(settings.database_url, data_dir).render_as_string(hide_password=True)
    before, after = migrate_to_head(settings.database_url, data_dir)
    if before == after:
        typer.echo(f"{shown}: already at revision {after}")
    else:
        typer.echo(f"{shown}: upgraded from {before or 'an empty database'} to revision {after}")
