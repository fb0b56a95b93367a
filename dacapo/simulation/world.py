"""What every simulated person shares: the services, the calendar, the agenda,
the campaign's dates and messages, the evidence files, and the journal."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dacapo.campaigns.schema import AcceptedDocument, Campaign
from dacapo.engine.errors import DacapoError, GuardFailed
from dacapo.engine.services import Outcome
from dacapo.rules.documents import describe, kind_label
from dacapo.rules.french import day, with_article
from dacapo.simulation.services import Services
from dacapo.simulation.timeline import Agenda, Calendar
from dacapo.store.documents import DocumentFacts
from dacapo.store.dossiers import dossier_ref

# The evidence families send (in ``examples/documents/`` by default).
FILES = {
    "payment_form": "formulaire-paiement.pdf",
    "quotient_card": "carte-quotient-familial.pdf",
    "expired_quotient_card": "carte-quotient-familial-2022.pdf",
    "tax_notice": "avis-imposition-2022.pdf",
    "id_photo": "photo-zoe.jpg",
}


def missing_files(folder: Path) -> list[str]:
    return [name for name in FILES.values() if not (folder / name).is_file()]


@dataclass(frozen=True)
class CampaignFacts:
    """The dates and messages people react to, read from the campaign."""

    campaign: Campaign
    reenrolment: str  # the window of continuing pupils
    new_pupils: str | None  # the window of new pupils' wishes, if any

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignFacts:
        def first(pupils: str) -> str | None:
            found = sorted(
                (w.opens, name) for name, w in campaign.windows.items() if w.pupils == pupils
            )
            return found[0][1] if found else None

        reenrolment = first("continuing")
        if reenrolment is None:
            raise DacapoError(f"Campaign {campaign.id} has no window for continuing pupils")
        return cls(campaign, reenrolment, first("new"))

    @property
    def opens(self) -> dt.date:
        return self.campaign.windows[self.reenrolment].opens

    @property
    def closes(self) -> dt.date:
        return self.campaign.windows[self.reenrolment].closes

    @property
    def last_day(self) -> dt.date:
        return max(w.closes for w in self.campaign.windows.values())

    @property
    def reminder_templates(self) -> frozenset[str]:
        return frozenset(r.template for r in self.campaign.reminders)

    def template_of(self, event: str) -> str | None:
        """The template of the message the re-enrolment workflow's ``event`` sends."""
        workflow = self.campaign.workflows[self.campaign.windows[self.reenrolment].workflow]
        for transition in workflow.transitions:
            if transition.event == event and transition.notify is not None:
                spec = self.campaign.notifications.messages.get(transition.notify)
                return spec.template if spec is not None else None
        return None

    def dossier(self, student_ref: str) -> str:
        return dossier_ref(self.campaign.site.code, self.campaign.school_year, student_ref)

    def alternative(self, kind: str) -> AcceptedDocument:
        """What the campaign accepts of a document ``kind`` (its first mention)."""
        for requirement in self.campaign.requirements.documents.values():
            for accepted in requirement.accepts:
                if accepted.kind == kind:
                    return accepted
        raise DacapoError(f"Campaign {self.campaign.id} accepts no document of kind {kind!r}")

    @property
    def income_kinds(self) -> frozenset[str]:
        """The kinds accepted as income evidence (with the Quotient Familial card)."""
        for requirement in self.campaign.requirements.documents.values():
            kinds = frozenset(a.kind for a in requirement.accepts)
            if "quotient_card" in kinds:
                return kinds
        return frozenset()

    def evidence(self, kind: str) -> DocumentFacts:
        """What a family declares of a ``kind`` it sends, matching what the campaign asks."""
        wanted = self.alternative(kind)
        return DocumentFacts(
            valid_from=wanted.valid_from,
            valid_until=wanted.valid_until,
            tax_year=wanted.tax_year,
            income_year=wanted.income_year,
            signed=bool(wanted.signed),
        )

    def expired_card_reason(self) -> str:
        """What staff write when last year's card is sent instead of this year's (French)."""
        card, notice = self.alternative("quotient_card"), self.alternative("tax_notice")
        year = (card.valid_from or self.opens).year - 1
        label = kind_label(self.campaign, "quotient_card")
        return (
            f"{label} de {year}, expirée le {day(dt.date(year, 12, 31))} : merci de joindre "
            f"{with_article(describe(self.campaign, notice))}"
        )


@dataclass
class Journal:
    """Every action, in order, as ``journal.txt`` tells it; and what was refused."""

    calendar: Calendar
    lines: list[str] = field(default_factory=list)
    actions: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)

    def done(self, now: dt.datetime, who: str, what: str) -> None:
        self.actions[what.split(" ", 1)[0]] += 1
        self.lines.append(f"{self.calendar.local(now)}  {who:<8} {what}")

    def refused(self, now: dt.datetime, who: str, what: str, error: DacapoError) -> None:
        if isinstance(error, GuardFailed):
            self.refusals[error.codes[0] if error.codes else "guard"] += 1
            reason = " ; ".join(error.reasons)
        else:
            self.refusals[type(error).__name__] += 1
            reason = str(error).splitlines()[0]
        self.lines.append(f"{self.calendar.local(now)}  {who:<8} {what}: REFUSED {reason}")

    def note(self, now: dt.datetime, who: str, text: str) -> None:
        self.lines.append(f"{self.calendar.local(now)}  {who:<8} {text}")


@dataclass
class World:
    services: Services
    calendar: Calendar
    agenda: Agenda
    facts: CampaignFacts
    files: Path
    journal: Journal

    def file(self, kind: str) -> Path:
        return self.files / FILES[kind]

    def attempt(
        self, now: dt.datetime, who: str, what: str, act: Callable[..., Any], *args: Any, **kw: Any
    ) -> Any:
        """``act(*args, **kw)``, told in the journal; None when it is refused."""
        try:
            done = act(*args, **kw)
        except DacapoError as error:
            self.journal.refused(now, who, what, error)
            return None
        if isinstance(done, Outcome):
            what += ": " + " → ".join([done.steps[0].from_state, *(s.to_state for s in done.steps)])
        self.journal.done(now, who, what)
        return done
