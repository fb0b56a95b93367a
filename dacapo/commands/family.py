"""``dacapo family``: import families from CSV, export what Da Capo holds."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dacapo.commands.context import log, open_app
from dacapo.engine.errors import BadInput

if TYPE_CHECKING:
    from dacapo.engine.imports import FamilyIn, ImportResult
    from dacapo.store.family_import import ImportSummary

app = typer.Typer(
    help="Import families from CSV and export one family's data.", no_args_is_help=True
)

SiteOpt = Annotated[
    str, typer.Option("--site", metavar="SITE", help="The site code, e.g. malakoff.")
]
_SITE = re.compile(r"[a-z][a-z0-9_]*")
_LISTED = 20  # rejected family refs named in the summary


def _site(value: str) -> str:
    if not _SITE.fullmatch(value):
        raise BadInput(f"--site {value!r}: a site code is lower case letters, digits and _")
    return value


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV file, one row per pupil.", show_default=False)],
    *,
    site: SiteOpt,
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Import the valid families, list the rejected rows."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; write nothing.")
    ] = False,
) -> None:
    """Import families, guardians and pupils; idempotent (matched by family and pupil ref).

    Any problem stops the import: every one is printed as FILE:ROW:COLUMN: message
    and nothing is written (exit 2), unless --skip-invalid is given. Nothing is ever
    deleted: a pupil or a guardian 2 the file leaves out keeps its row.
    """
    from dacapo.engine.imports import parse_families
    from dacapo.store.family_import import import_families, site_catalog

    site = _site(site)
    try:
        data = file.read_bytes()
    except OSError as error:
        raise BadInput(f"{file}: cannot read: {error.strerror}") from None
    with open_app(ctx) as dacapo:
        with dacapo.database.unit_of_work(read_only=True) as uow:
            catalog = site_catalog(uow.session, site)
        disciplines, cycles = catalog or (None, None)
        result = parse_families(data, source=str(file), disciplines=disciplines, cycles=cycles)
        families = _accepted(result, file, skip_invalid=skip_invalid)
        with dacapo.database.unit_of_work() as uow:
            summary = import_families(uow.session, site, families, now=dacapo.now())
            if not dry_run:
                uow.commit()
                dacapo.database.refresh_statistics()
                log(site=site).info(
                    "families.imported",
                    families=len(families),
                    rejected_rows=len(result.rejected_rows),
                )
    typer.echo(_summary(summary, dry_run=dry_run))
    if summary.students.new and catalog is not None:
        typer.echo("New pupils get their dossier when the campaign is loaded again.")


def _accepted(result: ImportResult, file: Path, *, skip_invalid: bool) -> list[FamilyIn]:
    """The families to import; problems printed on stderr."""
    for problem in result.problems:
        typer.echo(str(problem), err=True)
    if not result.problems:
        return result.families
    count = f"{len(result.problems)} problem{'s' if len(result.problems) > 1 else ''}"
    if result.file_problems:
        raise BadInput(f"{file}: {count}: nothing imported")
    if not skip_invalid:
        raise BadInput(
            f"{file}: {count} in {len(result.rejected_rows)} rows: nothing imported "
            "(--skip-invalid imports the valid families)"
        )
    rejected = result.rejected_families
    named = ", ".join(rejected[:_LISTED]) + (", …" if len(rejected) > _LISTED else "")
    typer.echo(
        f"Rejected {len(result.rejected_rows)} rows; families not imported "
        f"({len(rejected)}, all their rows): {named}",
        err=True,
    )
    return result.valid_families()


def _summary(summary: ImportSummary, *, dry_run: bool) -> str:
    f, s = summary.families, summary.students
    verb = "Would import" if dry_run else "Imported"
    line = f"{verb} {f.total} families ({f}), {s.total} pupils ({s})"
    return line + (" — dry run, nothing written" if dry_run else "")


@app.command()
def export(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="The family ref, e.g. F001.", show_default=False)],
    *,
    site: SiteOpt,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (always).")] = True,
) -> None:
    """Print everything Da Capo holds about one family, as JSON (right of access)."""
    from dacapo.commands.output import print_json
    from dacapo.store.family_export import export_family

    with open_app(ctx) as dacapo, dacapo.database.unit_of_work(read_only=True) as uow:
        document = export_family(uow.session, _site(site), ref, now=dacapo.now())
    print_json(document)
