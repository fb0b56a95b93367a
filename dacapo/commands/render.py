"""Human output of checklists: what a secretary reads to a parent."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from dacapo.rules.checklist import Checklist
    from dacapo.rules.findings import Finding

_MARK = {"met": "✔", "unmet": "✘", "deferred": "…"}


def _line(finding: Finding) -> str:
    return f"  {_MARK[finding.status.value]} {finding.message}"


def print_checklist(title: str, state: str, checklist: Checklist, *, show_met: bool) -> None:
    """The unmet and deferred items (and the met ones with ``show_met``)."""
    typer.echo(f"\n{title} — state: {state}")
    if checklist.next_event is None:
        typer.echo("  No next step: the dossier is in a final state.")
    else:
        verdict = "blocked" if any(f.blocking for f in checklist.next_step) else "possible"
        typer.echo(f"  Next step: {checklist.next_event} ({verdict})")
    shown = [f for f in checklist.whole if show_met or f.status.value != "met"]
    shown += [f for f in checklist.deferred if f not in checklist.whole]
    for finding in shown:
        typer.echo(_line(finding))
    met, unmet = len(checklist.met), len(checklist.unmet)
    summary = f"{unmet} unmet requirement(s)" if unmet else "nothing missing"
    typer.echo(f"  {summary}; {met} met" + ("" if show_met else " (--all lists them)"))
