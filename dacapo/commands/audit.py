"""``dacapo audit``: verify the audit trail's hash chains."""

from __future__ import annotations

from typing import Annotated

import typer

from dacapo.commands.context import open_app

app = typer.Typer(help="Verify the audit trail.", no_args_is_help=True)


@app.command()
def verify(
    *,
    ctx: typer.Context,
    campaign: Annotated[
        str | None, typer.Option(metavar="ID", help="Only this campaign's dossiers.")
    ] = None,
) -> None:
    """Check every dossier's chain; name the first broken row (exit 1) if any.

    A row edited or deleted outside Da Capo breaks its chain; deleting a
    dossier's last rows is seen by comparing its state with the last row.
    """
    from dacapo.store.audit import verify_audit
    from dacapo.store.dossier_detail import audit_counts
    from dacapo.store.filter_names import check_filter_names

    with open_app(ctx) as app, app.database.unit_of_work(read_only=True) as uow:
        check_filter_names(uow.session, campaign=campaign)  # an unknown one: exit 2
        broken = verify_audit(uow.session, campaign_id=campaign)
        rows, chains = audit_counts(uow.session, campaign)
    if broken is not None:
        typer.echo(f"Audit trail broken: {broken}", err=True)
        raise typer.Exit(1)
    typer.echo(f"Audit trail intact: {rows} rows in {chains} chains")
