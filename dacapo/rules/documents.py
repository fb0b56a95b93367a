"""Evidence: required documents, their alternatives and their validity.

A requirement is met by one non-rejected document (pending or accepted) of an
accepted kind that satisfies that alternative's constraints. Family-level
requirements look at the family's documents (shared by siblings), student-level
ones at the pupil's own. A deferred requirement (the dance certificate, handed
in at the first class) never blocks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dacapo.campaigns.schema import AcceptedDocument, Campaign, DocumentRequirement, Level
from dacapo.campaigns.windows import require_aware
from dacapo.rules.conditions import applies
from dacapo.rules.findings import Finding, GuardContext, Status
from dacapo.rules.french import agree, day, of, with_article
from dacapo.rules.registry import guard
from dacapo.rules.snapshot import Document, DocumentStatus, DossierSnapshot


@dataclass(frozen=True)
class Judgement:
    """One supplied document weighed against one accepted alternative."""

    document: Document
    alternative: AcceptedDocument
    problems: tuple[str, ...]
    position: int

    @property
    def satisfies(self) -> bool:
        return not self.problems

    @property
    def rank(self) -> tuple[bool, int, bool, int]:
        """Best first: not rejected, fewest problems, accepted, most recently supplied."""
        status = self.document.status
        return (
            status is DocumentStatus.REJECTED,
            len(self.problems),
            status is not DocumentStatus.ACCEPTED,
            -self.position,
        )


def kind_label(campaign: Campaign, kind: str) -> str:
    spec = campaign.document_kinds.get(kind)
    return spec.label if spec is not None else kind


def constraints(alternative: AcceptedDocument, label: str) -> list[str]:
    """The alternative's constraints as phrases following the kind's label."""
    phrases: list[str] = []
    if alternative.tax_year is not None:
        phrases.append(str(alternative.tax_year))
    if alternative.income_year is not None:
        phrases.append(f"sur les revenus {alternative.income_year}")
    start, end = alternative.valid_from, alternative.valid_until
    if start is not None and end is not None:
        phrases.append(f"valable du {day(start)} au {day(end)}")
    elif start is not None:
        phrases.append(f"valable au {day(start)}")
    elif end is not None:
        phrases.append(f"valable jusqu'au {day(end)}")
    if alternative.issued_on_or_after is not None:
        phrases.append(f"{agree(label, 'daté')} à partir du {day(alternative.issued_on_or_after)}")
    if alternative.max_age_days is not None:
        days = alternative.max_age_days
        phrases.append("de moins d'un an" if days == 365 else f"de moins de {days} jours")
    if alternative.signed:
        phrases.append(agree(label, "signé"))
    return phrases


def describe(campaign: Campaign, alternative: AcceptedDocument) -> str:
    """``Avis d'imposition 2022 sur les revenus 2021``."""
    label = kind_label(campaign, alternative.kind)
    return " ".join([label, *constraints(alternative, label)])


def problems(document: Document, alt: AcceptedDocument, label: str, today: dt.date) -> list[str]:
    """What keeps ``document`` from satisfying ``alt``, as phrases after its label."""
    if document.status is DocumentStatus.REJECTED:
        reason = (document.rejection_reason or "").strip()
        return [agree(label, "refusé") + (f" : {reason}" if reason else "")]
    found: list[str] = []
    if alt.valid_from is not None:
        if document.valid_from is None:
            found.append("sans date de début de validité")
        elif document.valid_from > alt.valid_from:
            found.append(
                f"valable seulement à partir du {day(document.valid_from)}"
                f" (il faut le {day(alt.valid_from)})"
            )
    if alt.valid_until is not None:
        if document.valid_until is None:
            found.append("sans date de fin de validité")
        elif document.valid_until < alt.valid_until and document.valid_until < today:
            found.append(f"{agree(label, 'expiré')} le {day(document.valid_until)}")
        elif document.valid_until < alt.valid_until:
            found.append(
                f"valable seulement jusqu'au {day(document.valid_until)}"
                f" (il faut jusqu'au {day(alt.valid_until)})"
            )
    if alt.tax_year is not None and document.tax_year != alt.tax_year:
        found.append(
            "sans année d'imposition"
            if document.tax_year is None
            else f"{document.tax_year} au lieu de {alt.tax_year}"
        )
    if alt.income_year is not None and document.income_year != alt.income_year:
        found.append(
            "sans année de revenus"
            if document.income_year is None
            else f"sur les revenus {document.income_year} au lieu de {alt.income_year}"
        )
    issued = document.issued
    dated = agree(label, "daté")
    if (alt.issued_on_or_after is not None or alt.max_age_days is not None) and issued is None:
        found.append("sans date")
    if issued is not None and alt.issued_on_or_after and issued < alt.issued_on_or_after:
        found.append(f"{dated} du {day(issued)}, avant le {day(alt.issued_on_or_after)}")
    if issued is not None and alt.max_age_days is not None:
        if issued > today:
            found.append(f"{dated} du {day(issued)}, dans le futur")
        elif (today - issued).days > alt.max_age_days:
            found.append(f"trop {agree(label, 'ancien')} ({day(issued)})")
    if alt.signed and not document.signed:
        found.append(f"non {agree(label, 'signé')}")
    return found


def candidates(requirement: DocumentRequirement, snapshot: DossierSnapshot) -> list[Document]:
    """The documents this requirement may use: the family's, or the pupil's own."""
    owner = None if requirement.level is Level.FAMILY else snapshot.student.ref
    kinds = {a.kind for a in requirement.accepts}
    return [d for d in snapshot.documents if d.student_ref == owner and d.kind in kinds]


def judge(
    campaign: Campaign, requirement: DocumentRequirement, snapshot: DossierSnapshot, today: dt.date
) -> list[Judgement]:
    """Every (document, alternative of its kind) pair, best first."""
    found: list[Judgement] = []
    for position, document in enumerate(candidates(requirement, snapshot)):
        for alternative in requirement.accepts:
            if alternative.kind == document.kind:
                label = kind_label(campaign, document.kind)
                issues = problems(document, alternative, label, today)
                found.append(Judgement(document, alternative, tuple(issues), position))
    return sorted(found, key=lambda j: j.rank)


def _met(campaign: Campaign, best: Judgement, head: str) -> str:
    label = kind_label(campaign, best.document.kind)
    supplied = f"{label} {agree(label, 'fourni')}"
    if best.document.status is DocumentStatus.ACCEPTED:
        return f"{head} : {supplied} et {agree(label, 'validé')}"
    return f"{head} : {supplied}, en attente de vérification"


def _problem(campaign: Campaign, best: Judgement, owner: str | None) -> str:
    """``Photo d'identité de Zoé Martin trop ancienne (15/01/2021)``."""
    label = kind_label(campaign, best.document.kind)
    whose = f" {of(owner)}" if owner else ""
    return f"{label}{whose} {', '.join(best.problems)}"


def _missing(campaign: Campaign, requirement: DocumentRequirement, about: str) -> str:
    options = ", ou ".join(describe(campaign, a) for a in requirement.accepts)
    return f"{requirement.label} {agree(requirement.label, 'manquant')}{about} : {options}"


def _deferred(campaign: Campaign, requirement: DocumentRequirement, note: str, head: str) -> str:
    accepts = requirement.accepts
    if len(accepts) == 1:
        label = kind_label(campaign, accepts[0].kind)
        wanted = ", ".join(constraints(accepts[0], label))
    else:
        wanted = ", ou ".join(describe(campaign, a) for a in accepts)
    return f"{head} : {note}" + (f" ({wanted})" if wanted else "")


def check_requirement(
    campaign: Campaign,
    key: str,
    requirement: DocumentRequirement,
    snapshot: DossierSnapshot,
    today: dt.date,
) -> Finding:
    """The one finding for one applicable requirement."""
    owner = snapshot.student.display_name if requirement.level is Level.STUDENT else None
    about = f" ({owner})" if owner else ""
    head = f"{requirement.label}{about}"
    judged = judge(campaign, requirement, snapshot, today)
    best = judged[0] if judged else None
    if best is not None and best.satisfies:
        return Finding(
            f"documents.present:{key}", Status.MET, _met(campaign, best, head), key, owner
        )
    if requirement.deferred is not None:
        message = _deferred(campaign, requirement, requirement.deferred.note, head)
        if best is not None:
            message += f" ; {_problem(campaign, best, owner)}"
        return Finding(f"documents.deferred:{key}", Status.DEFERRED, message, key, owner)
    if best is None:
        message = _missing(campaign, requirement, about)
        return Finding(f"documents.missing:{key}", Status.UNMET, message, key, owner)
    message = _problem(campaign, best, owner)
    others = [a for a in requirement.accepts if a is not best.alternative]
    if others:
        message += " — ou joindre " + " ou ".join(
            with_article(describe(campaign, a)) for a in others
        )
    rejected = best.document.status is DocumentStatus.REJECTED
    code = f"documents.{'rejected' if rejected else 'invalid'}:{key}"
    return Finding(code, Status.UNMET, message, key, owner)


@guard("documents_present", "les pièces justificatives demandées sont fournies et valables")
def documents_present(ctx: GuardContext) -> list[Finding]:
    """One finding per applicable requirement, in the campaign's order."""
    today = require_aware(ctx.now).astimezone(ctx.campaign.zone).date()
    starts = ctx.campaign.school_year_starts
    return [
        check_requirement(ctx.campaign, key, requirement, ctx.snapshot, today)
        for key, requirement in ctx.campaign.requirements.documents.items()
        if applies(requirement.when, ctx.snapshot, starts)
    ]
