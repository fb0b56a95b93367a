"""Who may act, and when: the window guard and the actor guard."""

from __future__ import annotations

import datetime as dt

from dacapo.campaigns.schema import Role
from dacapo.campaigns.windows import require_aware, window_interval
from dacapo.rules.fields import is_adult
from dacapo.rules.findings import Finding, GuardContext, Status
from dacapo.rules.french import day, day_and_time, quoted
from dacapo.rules.registry import guard

ROLE_LABELS = {
    Role.GUARDIAN: "responsable",
    Role.ADULT_STUDENT: "élève majeur",
    Role.STAFF: "personnel",
    Role.SYSTEM: "système",
}


def _until(end: dt.datetime) -> str:
    """``jusqu'au 24/05/2023 inclus`` for a window ending at local midnight."""
    if end.time() == dt.time(0, 0):
        return f"jusqu'au {day(end.date() - dt.timedelta(days=1))} inclus"
    return f"jusqu'au {day_and_time(end)}"


@guard("window_open", "la période de la campagne est ouverte (ou prolongée pour ce dossier)")
def window_open(ctx: GuardContext) -> list[Finding]:
    """Open at ``ctx.now``, the dossier's extension included.

    Without an actor the dossier is judged as a family would be. Staff may act
    outside the window with a reason; the system (closing, lapsing) always may.
    """
    now = require_aware(ctx.now)
    snapshot = ctx.snapshot
    window = ctx.campaign.windows.get(snapshot.window)
    if window is None:
        message = f"Période inconnue pour ce dossier : {quoted(snapshot.window)}"
        return [Finding("window.unknown", Status.UNMET, message, "window")]
    zone = ctx.campaign.zone
    interval = window_interval(ctx.campaign, window, snapshot.deadline)
    start, end = interval.start.astimezone(zone), interval.end.astimezone(zone)
    period = f"La période {quoted(window.label)}"
    if interval.contains(now):
        extended = snapshot.deadline is not None and snapshot.deadline > window.closes
        message = f"{period} est ouverte {_until(end)}" + (" (délai accordé)" if extended else "")
        return [Finding("window.open", Status.MET, message, "window")]
    if now < interval.start:
        situation = f"{period} ouvrira le {day_and_time(start)}"
        code = "window.not_open_yet"
    else:
        situation = f"{period} est close depuis le {day_and_time(end)}"
        code = "window.closed"
    role = ctx.actor.role if ctx.actor is not None else Role.GUARDIAN
    reason = (ctx.reason or "").strip()
    if role is Role.SYSTEM:
        message = f"{situation} ; action du système"
        return [Finding("window.system", Status.MET, message, "window")]
    if role is Role.STAFF and reason:
        message = f"{situation} ; action du personnel avec le motif {quoted(reason)}"
        return [Finding("window.staff_override", Status.MET, message, "window")]
    message = f"{situation} ; le personnel peut agir en indiquant un motif."
    return [Finding(code, Status.UNMET, message, "window")]


@guard("actor_allowed", "l'auteur de l'action a le rôle requis et agit sur son propre dossier")
def actor_allowed(ctx: GuardContext) -> list[Finding]:
    """Role in the transition's ``by``; a guardian of this family; an adult student
    acting on their own dossier; a reason when the transition requires one."""
    actor, transition = ctx.actor, ctx.transition
    if actor is None or transition is None:
        return []
    action = quoted(transition.label or transition.event)
    who = f"{ROLE_LABELS[actor.role]} {actor.id}"
    found: list[Finding] = []

    def refuse(code: str, message: str) -> None:
        found.append(Finding(code, Status.UNMET, message, "actor", actor.id))

    if actor.role not in transition.by:
        allowed = ", ".join(ROLE_LABELS[role] for role in transition.by)
        refuse("actor.role_not_allowed", f"Action {action} réservée à : {allowed}")
    elif actor.role is Role.GUARDIAN:
        emails = {(g.email or "").strip().casefold() for g in ctx.snapshot.family.guardians}
        if actor.id.strip().casefold() not in emails - {""}:
            refuse(
                "actor.not_guardian", f"{quoted(actor.id)} n'est pas responsable de cette famille"
            )
    elif actor.role is Role.ADULT_STUDENT:
        student = ctx.snapshot.student
        if actor.id != student.ref:
            message = f"{quoted(actor.id)} n'est pas l'élève de ce dossier ({student.display_name})"
            refuse("actor.not_student", message)
        elif student.birth_date is None:
            refuse("actor.student_minor", "Date de naissance inconnue : majorité non vérifiable")
        elif not is_adult(ctx.snapshot, ctx.campaign.school_year_starts):
            start = day(ctx.campaign.school_year_starts)
            message = f"{student.display_name} n'a pas 18 ans au {start} : un responsable doit agir"
            refuse("actor.student_minor", message)
    if transition.reason_required and not (ctx.reason or "").strip():
        refuse("actor.reason_missing", f"Motif obligatoire pour l'action {action}")
    if not found:
        message = f"Action {action} permise : {who}"
        found.append(Finding("actor.allowed", Status.MET, message, "actor", actor.id))
    return found
