"""``dacapo document``: add evidence files and review them."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Annotated

import typer

from dacapo.commands.context import clock, open_app, parse_actor
from dacapo.engine.errors import BadInput

app = typer.Typer(
    help="Add evidence files to a family or dossier, and review them.", no_args_is_help=True
)

ActorOpt = Annotated[
    str | None,
    typer.Option(
        metavar="ROLE:ID",
        help="Acting for a family: guardian:EMAIL or student:REF (default: you, as staff).",
    ),
]
DateOpt = Annotated[str | None, typer.Option(metavar="DATE", help="YYYY-MM-DD or DD/MM/YYYY.")]
YearOpt = Annotated[int | None, typer.Option(metavar="YYYY", min=1990, max=2100)]

_FR_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def parse_date(option: str, value: str | None) -> dt.date | None:
    """``2023-03-01`` or ``01/03/2023``; BadInput naming ``option`` otherwise."""
    if value is None:
        return None
    text = value.strip()
    try:
        if found := _ISO_DATE.fullmatch(text):
            year, month, day = (int(g) for g in found.groups())
            return dt.date(year, month, day)
        if found := _FR_DATE.fullmatch(text):
            day, month, year = (int(g) for g in found.groups())
            return dt.date(year, month, day)
    except ValueError as error:
        raise BadInput(f"{option} {value!r}: impossible date ({error})") from None
    raise BadInput(f"{option} {value!r}: not a date; write YYYY-MM-DD or DD/MM/YYYY")


@app.command()
def add(
    ctx: typer.Context,
    kind: Annotated[
        str, typer.Argument(metavar="KIND", help="A document kind of the campaign, e.g. id_photo.")
    ],
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="The file: PDF, JPEG or PNG.", show_default=False),
    ],
    *,
    family: Annotated[
        str | None, typer.Option(metavar="REF", help="The family (with --site).")
    ] = None,
    site: Annotated[str | None, typer.Option(metavar="SITE", help="The family's site.")] = None,
    dossier: Annotated[
        str | None,
        typer.Option(metavar="REF", help="A pupil's dossier (needed for a pupil's document)."),
    ] = None,
    issued: DateOpt = None,
    valid_from: DateOpt = None,
    valid_until: DateOpt = None,
    tax_year: YearOpt = None,
    income_year: YearOpt = None,
    signed: Annotated[bool, typer.Option("--signed", help="The document is signed.")] = False,
    actor: ActorOpt = None,
    reason: Annotated[
        str | None, typer.Option(metavar="TEXT", help="A note for the audit trail.")
    ] = None,
) -> None:
    """Store a document (checked by name and content, named by hash) for a family or a pupil.

    The file's own name is recorded (../scans/photo.jpg gives photo.jpg). A name made to
    deceive is refused (control or bidirectional characters, a '..' step as in
    ..\\x.pdf, a Windows device name such as CON.pdf): rename the file.
    """
    from dacapo.store.documents import DocumentFacts, Owner, add_document

    facts = DocumentFacts(
        issued=parse_date("--issued", issued),
        valid_from=parse_date("--valid-from", valid_from),
        valid_until=parse_date("--valid-until", valid_until),
        tax_year=tax_year,
        income_year=income_year,
        signed=signed,
    )
    if facts.valid_from and facts.valid_until and facts.valid_from > facts.valid_until:
        raise BadInput("--valid-from is after --valid-until")
    who = parse_actor(actor)
    now = clock(ctx)
    with open_app(ctx) as dacapo, dacapo.database.unit_of_work() as uow:
        added = add_document(
            uow.session,
            kind,
            file,
            Owner(family_ref=family, site=site, dossier_ref=dossier),
            facts,
            # The base name of the path as given, `..` steps resolved as written (no
            # symlink followed): `uploads/..` is the folder's name, not "..".
            original_name=Path(os.path.abspath(file)).name,
            store_dir=dacapo.settings.data_dir / "documents",
            max_bytes=dacapo.settings.max_upload_bytes,
            actor=who,
            now=now,
            reason=reason,
        )
        uow.commit()
    owner = f"pupil {added.student_ref}" if added.student_ref else f"family {added.family_ref}"
    typer.echo(f"document {added.id}: {added.kind} ({added.label}) for {owner}")
    typer.echo(f"sha256 {added.file.sha256} ({added.file.media_type}, {added.file.size} bytes)")
    for ref in added.audited:
        typer.echo(f"  {ref}: document_added")


@app.command()
def review(
    ctx: typer.Context,
    document_id: Annotated[int, typer.Argument(metavar="ID", help="The document's id.")],
    *,
    accept: Annotated[bool, typer.Option("--accept", help="The document is valid.")] = False,
    reject: Annotated[
        bool, typer.Option("--reject", help="Refuse it (with --reason): the family is told.")
    ] = False,
    reason: Annotated[
        str | None,
        typer.Option(metavar="TEXT", help="Why it is refused (required with --reject)."),
    ] = None,
    actor: ActorOpt = None,
) -> None:
    """Accept or reject a document; a rejection sends affected dossiers back a step."""
    from dacapo.store.reviews import review_document

    if accept == reject:
        raise BadInput("choose one: --accept, or --reject --reason TEXT")
    if reject and not (reason and reason.strip()):
        raise BadInput("--reject needs --reason: the family is told why")
    who = parse_actor(actor)
    now = clock(ctx)
    with open_app(ctx) as dacapo, dacapo.database.unit_of_work() as uow:
        result = review_document(
            uow.session,
            document_id,
            "accept" if accept else "reject",
            actor=who,
            now=now,
            reason=reason,
        )
        uow.commit()
    typer.echo(f"document {result.document_id} ({result.label}): {result.status}")
    for effect in result.effects:
        if effect.moved:
            notice = f"; notice queued ({effect.messages} messages)" if effect.messages else ""
            typer.echo(
                f"  {effect.ref}: {effect.from_state} -> {effect.to_state} ({effect.event}){notice}"
            )
        else:
            typer.echo(f"  {effect.ref}: stays {effect.from_state} ({effect.event})")
    if not result.effects:
        typer.echo("  no current dossier concerned")
