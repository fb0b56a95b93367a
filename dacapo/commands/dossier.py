"""``dacapo dossier``: list, inspect, correct and advance dossiers.

Each write happens in one unit of work: the state (through ``engine.services.fire``)
or the corrected rows, the audit row and the outbox rows commit together.
"""

from __future__ import annotations

from typing import Annotated

import typer

from dacapo.commands.context import clock, log, open_app, parse_actor
from dacapo.commands.options import ActorOpt, ExpectOpt, JsonOpt, ReasonOpt, RefArg

app = typer.Typer(help="List, inspect, correct and advance dossiers.", no_args_is_help=True)


@app.command("list")
def list_(
    *,
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option(metavar="ID", help="Campaign id.")] = None,
    state: Annotated[
        list[str] | None, typer.Option(metavar="S", help="State (repeat for several).")
    ] = None,
    window: Annotated[str | None, typer.Option(metavar="W", help="Window name.")] = None,
    missing: Annotated[
        str | None,
        typer.Option(
            metavar="CODE",
            help="Only dossiers still missing this item or finding code, e.g. id_photo or "
            "documents.missing:id_photo (runs the checklist of each candidate, about 1 ms "
            "each: narrow with --campaign and --state).",
        ),
    ] = None,
    family: Annotated[str | None, typer.Option(metavar="REF", help="Family ref.")] = None,
    search: Annotated[
        str | None,
        typer.Option(metavar="TEXT", help="Words found in pupil, guardian or family names/refs."),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            min=0, help="At most N dossiers (default 1000 in a table, all in JSON; 0: all)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List dossiers matching every filter given, by ref.

    A campaign, state or window that nothing declares is refused (exit 2), not an
    empty list: it is a typing error.
    """
    from dacapo.commands.dossier_views import print_rows, row_dict
    from dacapo.commands.output import print_json
    from dacapo.store.dossier_queries import DossierFilter
    from dacapo.store.dossier_search import find_dossiers
    from dacapo.store.filter_names import check_filter_names

    filters = DossierFilter(campaign, tuple(state or ()), window, family, search)
    cap = (None if as_json else 1000) if limit is None else (limit or None)
    with open_app(ctx) as app, app.database.unit_of_work(read_only=True) as uow:
        check_filter_names(uow.session, campaign=campaign, states=filters.states, window=window)
        rows, total = find_dossiers(
            uow.session, filters, missing_code=missing, now=clock(ctx), limit=cap
        )
    if as_json:
        print_json([row_dict(r) for r in rows])
    else:
        print_rows(rows, total)


@app.command()
def show(ref: RefArg, *, ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Identity, answers, documents, state, the events allowed now and what blocks next."""
    from dacapo.commands.dossier_views import detail_dict, print_detail
    from dacapo.commands.output import print_json
    from dacapo.store.dossier_detail import dossier_detail

    with open_app(ctx) as app, app.database.unit_of_work(read_only=True) as uow:
        detail = dossier_detail(uow.session, ref, clock(ctx))
    if as_json:
        print_json(detail_dict(detail))
    else:
        print_detail(detail)


@app.command()
def check(
    ref: RefArg,
    *,
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Also list what is met.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The dossier's checklist: the next step and every requirement still ahead."""
    from dacapo.commands.dossier_views import checklist_dict
    from dacapo.commands.output import print_json
    from dacapo.commands.render import print_checklist
    from dacapo.store.dossier_detail import dossier_detail

    with open_app(ctx) as app, app.database.unit_of_work(read_only=True) as uow:
        detail = dossier_detail(uow.session, ref, clock(ctx))
    state = detail.record.snapshot.state
    if as_json:
        print_json(checklist_dict(ref, state, detail.checklist))
        return
    title = f"{ref}: {detail.record.snapshot.student.display_name}"
    print_checklist(title, f"{state} ({detail.state_label})", detail.checklist, show_met=show_all)


@app.command()
def update(
    ref: RefArg,
    *,
    ctx: typer.Context,
    assignments: Annotated[
        list[str],
        typer.Option(
            "--set",
            metavar="FIELD=VALUE",
            help="e.g. guardian1.mobile='06 12 34 56 78', family.postcode=92240 (repeatable).",
        ),
    ],
    actor: ActorOpt = None,
    reason: ReasonOpt = None,
    expect_version: ExpectOpt = None,
) -> None:
    """Correct family, guardian or pupil details, checked like the rules check them."""
    from dacapo.commands.dossier_views import print_correction
    from dacapo.store.corrections import update_fields

    who = parse_actor(actor)
    with open_app(ctx) as app, app.database.unit_of_work() as uow:
        done = update_fields(
            uow.session,
            ref,
            assignments,
            actor=who,
            now=clock(ctx),
            reason=reason,
            expected_version=expect_version,
        )
        uow.commit()
    print_correction(done)


@app.command()
def answer(
    ref: RefArg,
    *,
    ctx: typer.Context,
    remarks: Annotated[
        str | None, typer.Option(metavar="TEXT", help="« Information complémentaire ».")
    ] = None,
    continue_: Annotated[
        str | None, typer.Option("--continue", metavar="yes|no", help="Re-enrols (the box) or not.")
    ] = None,
    preferences: Annotated[
        str | None, typer.Option(metavar="LIST", help='Éveil ranking, e.g. "violon,piano".')
    ] = None,
    support: Annotated[
        str | None, typer.Option(metavar="yes|no", help="Special support requested.")
    ] = None,
    actor: ActorOpt = None,
    reason: ReasonOpt = None,
    expect_version: ExpectOpt = None,
) -> None:
    """Record the pupil's answers: intent, éveil preferences, remarks, support."""
    from dacapo.commands.dossier_views import print_correction
    from dacapo.store.corrections import record_answers

    who = parse_actor(actor)
    with open_app(ctx) as app, app.database.unit_of_work() as uow:
        done = record_answers(
            uow.session,
            ref,
            intent=continue_,
            remarks=remarks,
            preferences=preferences,
            support=support,
            actor=who,
            now=clock(ctx),
            reason=reason,
            expected_version=expect_version,
        )
        uow.commit()
    print_correction(done)


def _fire(
    ctx: typer.Context,
    ref: str,
    event: str,
    *,
    actor: str | None,
    reason: str | None,
    expected_version: int | None = None,
    until: str | None = None,
) -> None:
    """Fire ``event`` (and extend the deadline, with ``until``) in one unit of work."""
    from dacapo.commands.dossier_views import print_correction, print_outcome
    from dacapo.engine.corrections import parse_day
    from dacapo.engine.services import fire
    from dacapo.store.corrections import extend_deadline
    from dacapo.store.engine_port import SqlDossierStore

    who, now = parse_actor(actor), clock(ctx)
    day = parse_day(until, "Date (--until)") if until is not None else None
    with open_app(ctx) as app, app.database.unit_of_work() as uow:
        store = SqlDossierStore(uow.session)
        outcome = fire(
            store, ref, event, who, now=now, reason=reason, expected_version=expected_version
        )
        extended = None
        if day is not None:
            extended = extend_deadline(
                uow.session, ref, day, actor=who, now=now, reason=reason or ""
            )
        uow.commit()
    for step in outcome.steps:
        log(dossier=ref, event=step.event).info(
            "dossier.transition",
            from_state=step.from_state,
            to_state=step.to_state,
            actor=str(who),
            messages=len(step.messages),
        )
    print_outcome(outcome)
    if extended is not None:
        print_correction(extended)


@app.command()
def advance(
    ref: RefArg,
    event: Annotated[
        str, typer.Argument(help="The event, e.g. verify_identity.", show_default=False)
    ],
    *,
    ctx: typer.Context,
    actor: ActorOpt = None,
    reason: ReasonOpt = None,
    expect_version: ExpectOpt = None,
) -> None:
    """Fire an event; every unmet requirement is printed if it is refused (exit 1)."""
    _fire(ctx, ref, event, actor=actor, reason=reason, expected_version=expect_version)


@app.command()
def withdraw(
    ref: RefArg, *, ctx: typer.Context, actor: ActorOpt = None, reason: ReasonOpt = None
) -> None:
    """The family stops: « ne pas poursuivre l'enseignement au conservatoire »."""
    _fire(ctx, ref, "withdraw", actor=actor, reason=reason)


@app.command()
def reopen(
    ref: RefArg,
    *,
    ctx: typer.Context,
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why the dossier is reopened.")],
    until: Annotated[
        str | None, typer.Option(metavar="DATE", help="Also extend its deadline to DATE.")
    ] = None,
) -> None:
    """Reopen a lapsed or withdrawn dossier (staff), optionally with a new deadline."""
    _fire(ctx, ref, "reopen", actor=None, reason=reason, until=until)


@app.command()
def extend(
    ref: RefArg,
    *,
    ctx: typer.Context,
    until: Annotated[str, typer.Option(metavar="DATE", help="Last day, e.g. 2023-05-31.")],
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why the delay is granted.")],
) -> None:
    """Give one dossier until DATE (inclusive), past the window's close (staff)."""
    from dacapo.commands.dossier_views import print_correction
    from dacapo.engine.corrections import parse_day
    from dacapo.store.corrections import extend_deadline

    who, day = parse_actor(None), parse_day(until, "Date (--until)")
    with open_app(ctx) as app, app.database.unit_of_work() as uow:
        done = extend_deadline(uow.session, ref, day, actor=who, now=clock(ctx), reason=reason)
        uow.commit()
    print_correction(done)


@app.command()
def audit(ref: RefArg, *, ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The dossier's whole history, instants in the campaign's time and UTC."""
    from dacapo.commands.dossier_views import history_dicts, print_history
    from dacapo.commands.output import print_json
    from dacapo.store.dossier_detail import audit_history

    with open_app(ctx) as app, app.database.unit_of_work(read_only=True) as uow:
        history = audit_history(uow.session, ref)
    if as_json:
        print_json(history_dicts(history))
    else:
        print_history(history)
