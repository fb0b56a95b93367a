"""What ``dacapo dossier`` prints: text for people, plain dicts for ``--json``."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from dacapo.engine.services import Outcome
    from dacapo.rules.checklist import Checklist
    from dacapo.rules.findings import Finding
    from dacapo.store.corrections import Correction
    from dacapo.store.dossier_detail import DossierDetail, History
    from dacapo.store.dossier_queries import DossierRow


def mobile(value: str | None) -> str | None:
    """``+33612345678`` → ``06 12 34 56 78`` (anything unreadable as stored)."""
    from dacapo.rules.formats import display_fr_mobile

    if not value:
        return None
    try:
        return display_fr_mobile(value)
    except ValueError:
        return value


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "status": finding.status.value,
        "message": finding.message,
        "item": finding.item,
        "subject": finding.subject,
        "blocking": finding.blocking,
    }


def checklist_dict(ref: str, state: str, result: Checklist) -> dict[str, Any]:
    return {
        "ref": ref,
        "state": state,
        "next_event": result.next_event,
        "next_step": [finding_dict(f) for f in result.next_step],
        "findings": [finding_dict(f) for f in result.whole],
        "complete": result.complete,
    }


def row_dict(row: DossierRow) -> dict[str, Any]:
    return {
        "ref": row.ref,
        "campaign": row.campaign,
        "state": row.state,
        "window": row.window,
        "version": row.version,
        "student_ref": row.student_ref,
        "student_name": row.student_name,
        "family_ref": row.family_ref,
    }


def print_rows(rows: list[DossierRow], total: int) -> None:
    from dacapo.commands.output import print_table

    # Four columns fit 80 characters; window and version are in --json.
    print_table(
        None,
        ["ref", "state", "student", "family"],
        [(r.ref, r.state, r.student_name, r.family_ref) for r in rows],
    )
    more = total - len(rows)
    typer.echo(
        f"{len(rows)} dossier(s)" + (f" shown of {total}: --limit 0 lists all" if more > 0 else "")
    )


def detail_dict(detail: DossierDetail) -> dict[str, Any]:
    from dacapo.commands.output import to_jsonable

    record, snapshot = detail.record, detail.record.snapshot
    window = detail.campaign.windows.get(snapshot.window)
    guardians = [
        {
            **to_jsonable(g),
            "position": int(g.ref.rsplit("/", 1)[-1]),
            "mobile": mobile(g.mobile),
            "mobile_e164": g.mobile,
        }
        for g in snapshot.family.guardians
    ]
    family = to_jsonable(snapshot.family)
    family.pop("guardians")
    student = {**to_jsonable(snapshot.student), "name": snapshot.student.display_name}
    student["mobile"], student["mobile_e164"] = (
        mobile(snapshot.student.mobile),
        snapshot.student.mobile,
    )
    return {
        "ref": record.ref,
        "version": record.version,
        "campaign": record.campaign_id,
        "campaign_version": record.campaign_version,
        "workflow": snapshot.workflow,
        "window": snapshot.window,
        "window_closes": window.closes if window else None,
        "deadline": snapshot.deadline,
        "state": snapshot.state,
        "state_label": detail.state_label,
        "house_rules_version": snapshot.house_rules_version,
        "student": student,
        "family": family,
        "guardians": guardians,
        "answers": to_jsonable(snapshot.answers),
        "documents": to_jsonable(snapshot.documents),
        "allowed_events": detail.allowed_events,
        "next_event": detail.checklist.next_event,
        "blocking": [finding_dict(f) for f in detail.checklist.next_step if f.blocking],
    }


def _value(value: object) -> str:
    from dacapo.engine.corrections import shown

    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return shown(value)


def print_detail(detail: DossierDetail) -> None:
    data = detail_dict(detail)
    s, f = data["student"], data["family"]
    echo = typer.echo
    echo(f"{data['ref']} — {s['name']}")
    campaign = f"{data['campaign']} (version {data['campaign_version']})"
    echo(f"  campaign   {campaign}, workflow {data['workflow']}")
    echo(f"  state      {data['state']} ({data['state_label']}), dossier version {data['version']}")
    closes = f"window {data['window']} closes {_value(data['window_closes'])}"
    extended = f"; extended to {_value(data['deadline'])}" if data["deadline"] else "; no extension"
    echo(f"  deadline   {closes}{extended}")
    echo(
        f"Student {s['ref']}: {s['name']}, born {_value(detail.record.snapshot.student.birth_date)}"
    )
    for key in (
        "discipline",
        "cycle",
        "instrument",
        "school",
        "school_level",
        "email",
        "mobile",
        "postcode",
        "city",
        "status",
    ):
        shown = _value(s[key])
        if key in ("postcode", "city") and not s[key]:
            shown = "(the family's)"  # « Utiliser les coordonnées du responsable légal »
        echo(f"  {key:<12} {shown}")
    echo(f"Family {f['ref']}: {_value(f['address'])}, {_value(f['postcode'])} {_value(f['city'])}")
    for g in data["guardians"]:
        name = " ".join(p for p in (g["first_name"], g["last_name"]) if p) or "(no name)"
        echo(f"  guardian{g['position']}  {name}, {_value(g['email'])}, {_value(g['mobile'])}")
    a = detail.record.snapshot.answers
    echo("Answers")
    echo(f"  continue     {_value(a.intent)}")
    echo(f"  preferences  {_value(a.preferences)}")
    echo(f"  support      {_value(a.support_requested)}")
    echo(f"  remarks      {_value(a.remarks)}")
    echo("Documents" + ("" if detail.record.snapshot.documents else ": none"))
    for d in detail.record.snapshot.documents:
        owner = d.student_ref or "family"
        dates = ", ".join(
            f"{label} {_value(v)}"
            for label, v in (
                ("issued", d.issued),
                ("valid from", d.valid_from),
                ("until", d.valid_until),
            )
            if v
        )
        echo(f"  #{d.id} {d.kind} ({owner}): {d.status.value}" + (f", {dates}" if dates else ""))
    echo(f"Allowed events now: {', '.join(data['allowed_events']) or 'none (final state)'}")
    if data["next_event"] is None:
        echo("Next step: none")
        return
    blocking = data["blocking"]
    echo(f"Next step: {data['next_event']} ({'blocked' if blocking else 'possible'})")
    for finding in blocking:
        echo(f"  ✘ {finding['message']}")


def history_dicts(history: History) -> list[dict[str, Any]]:
    zone = history.campaign.zone
    return [
        {
            "seq": row.seq,
            "effective_at": row.effective_at.astimezone(zone).isoformat(),
            "effective_at_utc": row.effective_at.astimezone(dt.UTC).isoformat(),
            "recorded_at": row.recorded_at.astimezone(dt.UTC).isoformat(),
            "simulated": row.simulated,
            "actor": row.actor,
            "role": row.role,
            "event": row.event,
            "from_state": row.from_state,
            "to_state": row.to_state,
            "reason": row.reason,
            "campaign_version": row.campaign_version,
        }
        for row in history.rows
    ]


def print_history(history: History) -> None:
    zone = history.campaign.zone
    typer.echo(f"{history.ref}: {len(history.rows)} audit row(s), now {history.state}")
    for row in history.rows:
        local = row.effective_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        utc = row.effective_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        simulated = " [simulated]" if row.simulated else ""
        typer.echo(f"#{row.seq} {row.event}: {row.from_state} → {row.to_state}{simulated}")
        typer.echo(f"    effective {local} {zone.key} ({utc} UTC)")
        typer.echo(f"    recorded  {row.recorded_at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC")
        typer.echo(f"    by {row.role} {row.actor}")
        if row.reason:
            typer.echo(f"    reason: {row.reason}")


def print_outcome(outcome: Outcome) -> None:
    for step in outcome.steps:
        typer.echo(f"{outcome.ref}: {step.from_state} → {step.to_state}")
    queued = sum(len(step.messages) for step in outcome.steps)
    typer.echo(f"{queued} message(s) queued")
    if outcome.pending:
        typer.echo("Not confirmed automatically yet:")
        for finding in outcome.pending:
            typer.echo(f"  ✘ {finding.message}")


def print_correction(correction: Correction) -> None:
    if correction.audit_seq is None:
        typer.echo(f"{correction.ref}: nothing changed")
        return
    for change in correction.changes:
        typer.echo(f"{correction.ref}: {change}")
    typer.echo(f"audit row #{correction.audit_seq}; dossier version {correction.version}")
