"""``dacapo wish``: new pupils' wishes registered at the desk."""

from __future__ import annotations

from typing import Annotated

import typer

from dacapo.commands.context import clock, open_app, parse_actor

app = typer.Typer(help="Register new pupils' wishes at the desk.", no_args_is_help=True)


@app.command()
def add(
    ctx: typer.Context,
    *,
    site: Annotated[str, typer.Option(metavar="SITE", help="The conservatoire (site code).")],
    window: Annotated[
        str, typer.Option(metavar="WINDOW", help="A new-pupil window, e.g. new_pupils.")
    ],
    family_ref: Annotated[
        str, typer.Option(metavar="REF", help="The family: matched if known, else created.")
    ],
    student_ref: Annotated[str, typer.Option(metavar="REF", help="The new pupil's reference.")],
    last_name: Annotated[str, typer.Option(metavar="NAME", help="The pupil's last name.")],
    first_name: Annotated[str, typer.Option(metavar="NAME", help="The pupil's first name.")],
    birth_date: Annotated[str, typer.Option(metavar="DATE", help="YYYY-MM-DD or DD/MM/YYYY.")],
    preferences: Annotated[
        str,
        typer.Option(
            metavar="LIST", help="Wishes by order of preference, comma-separated: 'Violon,Piano'."
        ),
    ],
    guardian: Annotated[
        list[str] | None,
        typer.Option(
            metavar="LAST;FIRST;EMAIL;MOBILE",
            help="A guardian (repeatable; matched by email; the mobile may be left out).",
        ),
    ] = None,
    address: Annotated[str | None, typer.Option(metavar="TEXT", help="Family address.")] = None,
    postcode: Annotated[str | None, typer.Option(metavar="CODE", help="Family postcode.")] = None,
    city: Annotated[str | None, typer.Option(metavar="TEXT", help="Family city.")] = None,
    discipline: Annotated[
        str | None, typer.Option(metavar="CODE", help="Discipline wished, e.g. musique.")
    ] = None,
    cycle: Annotated[str | None, typer.Option(metavar="CODE", help="Cycle, e.g. eveil.")] = None,
    actor: Annotated[
        str | None,
        typer.Option(
            metavar="ROLE:ID", help="guardian:EMAIL or student:REF (default: you, as staff)."
        ),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT", help="Staff only: why the wishes are registered outside the window."
        ),
    ] = None,
) -> None:
    """Register a new pupil's wishes and open their dossier (new-pupil window only)."""
    from dacapo.engine.wishes import read_wish, split_guardian, split_preferences
    from dacapo.store.wishes import register_wish

    wish = read_wish(
        {
            "site": site,
            "window": window,
            "family_ref": family_ref,
            "guardians": [split_guardian(text) for text in guardian or []],
            "address": address,
            "postcode": postcode,
            "city": city,
            "student_ref": student_ref,
            "last_name": last_name,
            "first_name": first_name,
            "birth_date": birth_date,
            "discipline": discipline,
            "cycle": cycle,
            "preferences": split_preferences(preferences),
        }
    )
    who = parse_actor(actor)
    now = clock(ctx)
    with open_app(ctx) as dacapo, dacapo.database.unit_of_work() as uow:
        done = register_wish(uow.session, wish, actor=who, now=now, reason=reason)
        uow.commit()
    ranked = ", ".join(f"{rank}. {p}" for rank, p in enumerate(done.preferences, start=1))
    typer.echo(f"dossier {done.dossier_ref}: {done.state} ({done.workflow})")
    typer.echo(f"  pupil {done.student_ref}: {done.student_name}; wishes: {ranked}")
    family = "created" if done.family_created else "matched"
    if done.family_updated:
        family += f", updated: {', '.join(done.family_updated)}"
    typer.echo(f"  family {done.family_ref}: {family}")
    for email in done.guardians_added:
        typer.echo(f"  guardian added: {email}")
    for email in done.guardians_matched:
        typer.echo(f"  guardian matched: {email}")
