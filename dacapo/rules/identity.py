"""The family's and the pupil's details: mandatory fields and their formats.

« Les renseignements surlignés doivent être obligatoirement remplis » and
« Champ SMS : inscrire UNIQUEMENT les 10 chiffres de votre numéro de mobile ».
"""

from __future__ import annotations

from dacapo.rules.conditions import applies, is_present
from dacapo.rules.fields import FIELDS, field_values
from dacapo.rules.findings import Finding, GuardContext, Status
from dacapo.rules.formats import FORMATS
from dacapo.rules.registry import guard


def _about(subject: str | None) -> str:
    return f" ({subject})" if subject else ""


@guard("required_fields", "les champs obligatoires de la famille et de l'élève sont remplis")
def required_fields(ctx: GuardContext) -> list[Finding]:
    """Each required field whose ``when`` holds; ``guardian.*`` once per guardian."""
    starts = ctx.campaign.school_year_starts
    found: list[Finding] = []
    for requirement in ctx.campaign.requirements.fields:
        if not applies(requirement.when, ctx.snapshot, starts):
            continue
        path = requirement.field
        label = requirement.label or FIELDS[path].label
        for subject, value in field_values(ctx.snapshot, path, starts):
            if is_present(value):
                message = f"Champ renseigné : {label}{_about(subject)}"
                found.append(
                    Finding(f"fields.present:{path}", Status.MET, message, "fields", subject)
                )
            else:
                message = f"Champ obligatoire manquant : {label}{_about(subject)}"
                found.append(
                    Finding(f"fields.missing:{path}", Status.UNMET, message, "fields", subject)
                )
    return found


@guard("field_formats", "les champs remplis ont le bon format (mobile, email, code postal…)")
def field_formats(ctx: GuardContext) -> list[Finding]:
    """Each filled field named in ``requirements.formats``; empty ones are left to
    ``required_fields``."""
    starts = ctx.campaign.school_year_starts
    found: list[Finding] = []
    for path, format_name in ctx.campaign.requirements.formats.items():
        check = FORMATS[format_name]
        label = FIELDS[path].label
        for subject, value in field_values(ctx.snapshot, path, starts):
            if not is_present(value):
                continue
            problem = check(value, ctx.campaign, ctx.now)
            if problem is None:
                message = f"Format correct : {label}{_about(subject)}"
                found.append(
                    Finding(f"formats.valid:{path}", Status.MET, message, "formats", subject)
                )
            else:
                message = f"{problem}{_about(subject)}"
                found.append(
                    Finding(f"formats.invalid:{path}", Status.UNMET, message, "formats", subject)
                )
    return found
