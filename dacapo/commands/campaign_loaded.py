"""The bodies of ``dacapo campaign load``, ``list`` and ``status``: campaigns in the database.

``commands/campaign.py`` declares the commands; their work and output live here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from dacapo.commands.context import log, open_app, staff_login
from dacapo.commands.output import print_json, print_table
from dacapo.engine.errors import BadInput

if TYPE_CHECKING:
    from dacapo.campaigns.loader import LoadedCampaign
    from dacapo.store.campaign_load import LoadOutcome


def parse_maps(values: list[str]) -> dict[str, str]:
    """``["OLD=NEW", ...]`` as a mapping; each OLD once."""
    mapping: dict[str, str] = {}
    for value in values:
        old, sep, new = (part.strip() for part in value.partition("="))
        if not sep or not old or not new:
            raise BadInput(f"--map {value!r}: write OLD=NEW, e.g. --map checked=identity_verified")
        if old in mapping and mapping[old] != new:
            raise BadInput(f"--map {old}: mapped twice ({mapping[old]}, {new})")
        mapping[old] = new
    return mapping


def load(ctx: typer.Context, loaded: LoadedCampaign, maps: list[str], *, dry_run: bool) -> None:
    from dacapo.store.campaign_load import load_campaign

    remap = parse_maps(maps)
    with open_app(ctx) as dacapo, dacapo.database.unit_of_work() as uow:
        outcome = load_campaign(
            uow.session, loaded, actor=staff_login(), now=dacapo.now(), remap=remap
        )
        if not dry_run:
            uow.commit()
            dacapo.database.refresh_statistics()
            log(campaign=outcome.campaign_id).info(
                "campaign.loaded", version=outcome.version, opened=outcome.opened
            )
    for line in _report(outcome, site=loaded.campaign.site.code, dry_run=dry_run):
        typer.echo(line)


def _report(outcome: LoadOutcome, *, site: str, dry_run: bool) -> list[str]:
    o, would = outcome, "would be " if dry_run else ""
    if o.created:
        head = f"{'Would load' if dry_run else 'Loaded'} {o.campaign_id} version {o.version}"
    else:
        head = f"{o.campaign_id} already loaded as version {o.version}"
    lines = [f"{head}: {o.opened} dossiers {would}opened ({o.already_open} already open)"]
    for r in o.remapped:
        lines.append(
            f"{r.count} dossiers {would}moved from {r.workflow}.{r.from_state} to {r.to_state}"
            " (audit row each)"
        )
    if o.moved:
        lines.append(f"{o.moved} dossiers {would}moved to version {o.version} (states unchanged)")
    if o.window is None:
        lines.append("The campaign has no window for continuing pupils: no dossier to open.")
    elif o.opened + o.already_open == 0:
        lines.append(f"No continuing pupil at site {site}: import families first.")
    lines.extend(_schedule_lines(o, would))
    if dry_run:
        lines.append("Dry run: nothing written.")
    return lines


def _schedule_lines(o: LoadOutcome, would: str) -> list[str]:
    """What the scheduler will do differently (see ``dacapo scheduler plan``)."""
    s = o.schedule
    if s is None:
        return []
    lines = []
    if s.added:
        lines.append(f"{len(s.added)} scheduled items {would}planned: {', '.join(s.added)}")
    for key, before, after in s.moved:
        lines.append(
            f"{key} {would}moved from {before:%Y-%m-%d %H:%M} to {after:%Y-%m-%d %H:%M} UTC"
        )
    if s.cancelled:
        head = "Would be cancelled" if would else "Cancelled"
        lines.append(f"{head} (no longer planned): {', '.join(s.cancelled)}")
    return lines


def list_(ctx: typer.Context, *, as_json: bool) -> None:
    from dacapo.store.campaign_reports import list_campaigns

    with open_app(ctx) as dacapo, dacapo.database.unit_of_work(read_only=True) as uow:
        campaigns = list_campaigns(uow.session)
    if as_json:
        print_json(campaigns)
        return
    if not campaigns:
        typer.echo("No campaign loaded yet (dacapo campaign load FILE).")
        return
    columns = ["campaign", "version", "loaded (UTC)", "dossiers", "open", "done"]
    rows = [
        (
            c.id,
            c.latest_version,
            f"{c.loaded_at:%Y-%m-%d %H:%M}",
            c.dossiers,
            c.in_progress,
            c.succeeded,
        )
        for c in campaigns
    ]
    print_table("Campaigns", columns, rows)


def status(ctx: typer.Context, campaign_id: str, *, as_json: bool) -> None:
    from dacapo.store.campaign_reports import campaign_status

    with open_app(ctx) as dacapo, dacapo.database.unit_of_work(read_only=True) as uow:
        report = campaign_status(uow.session, campaign_id)
    if as_json:
        print_json(report)
        return
    title = (
        f"{report.id} version {report.version} ({report.title}): {report.dossiers} dossiers; "
        f"loaded {report.loaded_at:%Y-%m-%d %H:%M} UTC by {report.loaded_by}"
    )
    rows: list[tuple[object, ...]] = []
    for window in report.windows:
        for s in window.states:
            rows.append((window.window, s.state, s.label, "yes" if s.final else "", s.dossiers))
        rows.append((window.window, "", f"total ({window.workflow})", "", window.dossiers))
    print_table(title, ["window", "state", "label", "final", "dossiers"], rows)
