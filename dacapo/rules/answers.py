"""The family's answers: the « Réinscription administrative » box, the éveil
preferences and the « J'accepte » of the house rules."""

from __future__ import annotations

from collections import Counter

from dacapo.rules.conditions import applies
from dacapo.rules.findings import Finding, GuardContext, Status
from dacapo.rules.french import agree, quoted
from dacapo.rules.registry import guard

ACCEPT_BUTTON = "J'accepte"


@guard("intent_declared", "la case « Réinscription administrative » est cochée")
def intent_declared(ctx: GuardContext) -> list[Finding]:
    """Intent True when required; a declared « ne poursuit pas » always stops the path."""
    spec = ctx.campaign.answers.intent
    intent = ctx.snapshot.answers.intent
    subject = ctx.snapshot.student.display_name
    box = quoted(spec.label)
    if intent is True:
        return [Finding("intent.declared", Status.MET, f"Case {box} cochée", "intent", subject)]
    if intent is False:
        message = (
            "La famille a déclaré ne pas poursuivre l'enseignement au conservatoire : "
            "enregistrer le désistement plutôt que la réinscription"
        )
        return [Finding("intent.declined", Status.UNMET, message, "intent", subject)]
    if not spec.required:
        return []
    return [Finding("intent.missing", Status.UNMET, f"Cocher la case {box}", "intent", subject)]


def _activities(count: int) -> str:
    if count == 1:
        return "une activité ou un instrument"
    return f"{count} activités ou instruments"


def _given(count: int) -> str:
    if count == 0:
        return "aucun indiqué"
    if count == 1:
        return "un seul indiqué"
    return f"{count} indiqués"


@guard("preferences_ranked", "les élèves d'éveil classent leurs activités ou instruments")
def preferences_ranked(ctx: GuardContext) -> list[Finding]:
    """Between ``min_choices`` and ``max_choices`` known choices, each given once."""
    spec = ctx.campaign.answers.preferences
    snapshot = ctx.snapshot
    if spec is None or not applies(spec.when, snapshot, ctx.campaign.school_year_starts):
        return []
    student = snapshot.student
    cycle = student.cycle or ""
    who = ctx.campaign.catalog.cycle_labels.get(cycle) or spec.label
    subject = student.display_name
    given = [p.strip() for p in snapshot.answers.preferences if p.strip()]
    known = [p for p in given if p in spec.choices]
    found: list[Finding] = []

    def refuse(problem: str, message: str) -> None:
        code = f"preferences.{problem}"
        found.append(Finding(code, Status.UNMET, f"{who} : {message}", "preferences", subject))

    distinct = len(set(known))
    if distinct < spec.min_choices:
        wanted = _activities(spec.min_choices)
        refuse(
            "too_few", f"indiquer au moins {wanted} par ordre de préférence ({_given(distinct)})"
        )
    if spec.max_choices is not None and len(given) > spec.max_choices:
        wanted = _activities(spec.max_choices)
        refuse("too_many", f"indiquer au plus {wanted} ({_given(len(given))})")
    unknown = [p for p in dict.fromkeys(given) if p not in spec.choices]
    if unknown:
        names = ", ".join(quoted(p) for p in unknown)
        choices = ", ".join(spec.choices)
        plural = "s" if len(unknown) > 1 else ""
        refuse("unknown_choice", f"choix inconnu{plural} {names} (au choix : {choices})")
    repeated = [p for p, n in Counter(given).items() if n > 1]
    if repeated:
        names = ", ".join(quoted(p) for p in repeated)
        plural = "s" if len(repeated) > 1 else ""
        refuse("duplicate", f"choix répété{plural} {names} : chaque choix ne compte qu'une fois")
    if not found:
        ranking = ", ".join(f"{rank}. {p}" for rank, p in enumerate(given, start=1))
        message = f"{who} : préférences indiquées ({ranking})"
        found.append(Finding("preferences.ranked", Status.MET, message, "preferences", subject))
    return found


@guard("house_rules_accepted", "la version en vigueur du règlement intérieur est acceptée")
def house_rules_accepted(ctx: GuardContext) -> list[Finding]:
    """The dossier records acceptance of the campaign's version of the rules."""
    rules = ctx.campaign.house_rules
    accepted = ctx.snapshot.house_rules_version
    named = f"{rules.title} (version {rules.version})"
    if accepted == rules.version:
        message = f"{named} {agree(rules.title, 'accepté')}"
        return [Finding("house_rules.accepted", Status.MET, message, "house_rules")]
    todo = f"{named} à accepter avec {quoted(ACCEPT_BUTTON)}"
    if accepted is None:
        return [Finding("house_rules.missing", Status.UNMET, todo, "house_rules")]
    message = f"{todo} : seule la version {accepted} a été acceptée"
    return [Finding("house_rules.outdated", Status.UNMET, message, "house_rules")]
