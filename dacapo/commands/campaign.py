"""``dacapo campaign``: validate, describe and roll over campaign files; load and follow them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dacapo.commands import campaign_close
from dacapo.commands.context import clock
from dacapo.engine.errors import BadInput, CampaignInvalid

if TYPE_CHECKING:
    from dacapo.campaigns import describe
    from dacapo.campaigns.loader import LoadedCampaign

app = typer.Typer(
    help="Validate, describe, roll over and load campaign files; follow their dossiers.",
    no_args_is_help=True,
)

FileArg = Annotated[Path, typer.Argument(help="A campaign YAML file.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def read_campaign(path: Path) -> LoadedCampaign:
    """Load a campaign file and check the templates it names.

    Template names must exist (shipped, or in the campaign's ``templates_dir``),
    and every template it uses must compile and use only context variables:
    problems are reported as ``TEMPLATE:LINE:1: message``.
    """
    from dacapo.campaigns.loader import load_campaign
    from dacapo.engine.errors import Problem
    from dacapo.notifications.catalog import check_templates, required_templates, template_names

    def folder(name: str | None) -> Path | None:
        return (path.parent / name) if name else None

    loaded = load_campaign(path, templates=lambda name: template_names(folder(name)))
    extra = folder(loaded.campaign.notifications.templates_dir)
    problems = check_templates(required_templates(loaded.campaign), extra)
    if problems:
        raise CampaignInvalid(
            [
                Problem(
                    str((extra or Path("templates")) / p.template), p.line or 1, 1, "", p.message
                )
                for p in problems
            ]
        )
    return loaded


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Campaign YAML files.", show_default=False)],
) -> None:
    """Check campaign files; print every error as FILE:LINE:COL: path: message."""
    problems: list[str] = []
    for path in files:
        try:
            loaded = read_campaign(path)
        except CampaignInvalid as error:
            problems.extend(str(p) for p in error.problems)
            continue
        c = loaded.campaign
        typer.echo(
            f"{path}: ok: {c.id} ({c.site.name}, {c.school_year}): {len(c.windows)} windows, "
            f"{len(c.workflows)} workflows, {len(c.requirements.documents)} documents, "
            f"{len(c.reminders)} reminders"
        )
    if problems:
        for line in problems:
            typer.echo(line, err=True)
        count = len(problems)
        typer.echo(f"{count} error{'s' if count > 1 else ''}", err=True)
        raise typer.Exit(2)


@app.command()
def schema() -> None:
    """Print the JSON Schema of campaign files."""
    import json

    from dacapo.campaigns.schema import json_schema

    typer.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


@app.command()
def show(file: FileArg, *, as_json: JsonOpt = False) -> None:
    """Windows as instants, workflow diagrams, requirements per pupil and reminders."""
    from dacapo.campaigns import describe
    from dacapo.commands.output import print_json, print_table

    campaign = read_campaign(file).campaign
    windows = describe.window_rows(campaign)
    requirements = describe.requirement_rows(campaign)
    reminders = describe.reminder_rows(campaign)
    diagrams = {name: describe.mermaid(w) for name, w in campaign.workflows.items()}
    if as_json:
        print_json(
            {
                "id": campaign.id,
                "windows": windows,
                "workflows": diagrams,
                "requirements": requirements,
                "reminders": reminders,
            }
        )
        return
    typer.echo(f"{campaign.title} — {campaign.site.name} ({campaign.id}, {campaign.timezone})")
    typer.echo("\nWindows (inclusive local dates; instants in local time = UTC):")
    for w in windows:
        typer.echo(f"  {w.name}: {w.label} ({w.pupils} pupils, {w.channel}, workflow {w.workflow})")
        typer.echo(f"    opens   {w.opens_text}")
        typer.echo(f"    closes  {w.closes_text} (last instant)")
    for name, diagram in diagrams.items():
        typer.echo(f"\nWorkflow {name} (Mermaid):\n")
        typer.echo(diagram)
    for row in requirements:
        print_table(
            f"Requirements: {row.category.label}",
            ["kind", "item", "detail"],
            [("field", f.label, _field_detail(f)) for f in row.fields]
            + [("document", d.label, _document_detail(d)) for d in row.documents]
            + [("answer", a.label, a.detail) for a in row.answers],
        )
    typer.echo("\nReminders:")
    for r in reminders:
        typer.echo(f"  {r.id} ({r.window}): {r.text}")
        typer.echo(f"    by {', '.join(r.channels)}, template {r.template}, to {r.who}")


def _field_detail(item: describe.FieldItem) -> str:
    parts = ["required" if item.required else "optional"]
    if item.format:
        parts.append(f"format {item.format}")
    if item.depends_on:
        parts.append(f"if {item.depends_on}")
    return ", ".join(parts)


def _document_detail(item: describe.DocumentItem) -> str:
    detail = f"{item.level}: " + " OR ".join(item.alternatives)
    if item.deferred:
        detail += f" (deferred, {item.deferred})"
    if item.depends_on:
        detail += f" (if {item.depends_on})"
    return detail


@app.command()
def roll(
    file: FileArg,
    *,
    to: Annotated[str, typer.Option("--to", help="Target school year, e.g. 2024/2025.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write next year's campaign: dates and validities moved on, comments kept."""
    from dacapo.campaigns.loader import parse_campaign
    from dacapo.campaigns.roll import roll as roll_text

    loaded = read_campaign(file)
    try:
        result = roll_text(loaded.text, to, source_name=str(file))
    except ValueError as error:
        raise BadInput(str(error)) from None
    parse_campaign(result.text, str(output or "<rolled>"))
    _write(result.text, output)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if output is not None:
        typer.echo(f"{output}: {len(result.changes)} values moved to {to}", err=True)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise BadInput(f"{output}: cannot write: {error.strerror}") from None


@app.command("try")
def try_(
    file: FileArg,
    dossiers: Annotated[
        list[Path], typer.Argument(help="Sample dossiers (YAML).", show_default=False)
    ],
    *,
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Also list what is met.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Print what each sample dossier still lacks under this campaign's rules."""
    from dacapo.campaigns.samples import parse_sample
    from dacapo.rules import checklist

    campaign = read_campaign(file).campaign
    now = clock(ctx)
    results = []
    for path in dossiers:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise BadInput(f"{path}: cannot read: {error}") from None
        snapshot = parse_sample(text, str(path), campaign, ref=path.stem)
        results.append((path, snapshot, checklist(campaign, snapshot, now)))
    if as_json:
        from dacapo.commands.output import print_json

        print_json([{"file": str(p), "state": s.state, "checklist": c} for p, s, c in results])
        return
    from dacapo.commands.render import print_checklist

    for path, snapshot, result in results:
        title = f"{path.name}: {snapshot.student.display_name}"
        print_checklist(title, snapshot.state, result, show_met=show_all)


MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        metavar="OLD=NEW",
        help="On a reload, move dossiers from a state the file removed to NEW (repeatable).",
    ),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Say what would change; write nothing.")]
IdArg = Annotated[str, typer.Argument(metavar="ID", help="A campaign id.", show_default=False)]


@app.command()
def load(
    file: FileArg, *, ctx: typer.Context, maps: MapOpt = None, dry_run: DryRunOpt = False
) -> None:
    """Store the campaign as a new version; open a dossier per continuing pupil."""
    from dacapo.commands import campaign_loaded

    campaign_loaded.load(ctx, read_campaign(file), maps or [], dry_run=dry_run)


@app.command("list")
def list_(*, ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the loaded campaigns: versions, last load, dossier counts."""
    from dacapo.commands import campaign_loaded

    campaign_loaded.list_(ctx, as_json=as_json)


@app.command()
def status(campaign_id: IdArg, *, ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Count a loaded campaign's dossiers per window and state."""
    from dacapo.commands import campaign_loaded

    campaign_loaded.status(ctx, campaign_id, as_json=as_json)


app.command("close")(campaign_close.close)
