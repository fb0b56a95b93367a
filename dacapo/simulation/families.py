"""Families at their computers: each acts by its persona, as the portal lets it.

A family sits down at an instant and does a few steps, minutes apart; each
step looks at what the dossier's workflow allows now (the portal's buttons)
and acts through the CLI's services, as the guardian (or the adult pupil).
Families also read what the scheduler and staff send them: a reminder, a
rejected document or the lapse of their dossier may make them act.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dacapo.commands.context import parse_actor
from dacapo.simulation.clockwork import Mail
from dacapo.simulation.people import Household, Pupil
from dacapo.simulation.personas import Persona
from dacapo.simulation.timeline import ONE_DAY, Action
from dacapo.simulation.world import World
from dacapo.store.documents import DocumentFacts

if TYPE_CHECKING:
    from dacapo.simulation.staff import Staff

REMARKS = [
    "Merci de garder le même professeur si possible.",
    "Cours du mercredi après-midi souhaité si possible.",
    "Notre enfant souhaite aussi essayer l'orchestre.",
]
STOPPING = [
    "Nous déménageons à Lyon cet été.",
    "Notre fille préfère se consacrer au sport l'an prochain.",
    "Emploi du temps du lycée trop chargé.",
]


class Family:
    """One household and its persona."""

    def __init__(
        self, world: World, household: Household, persona: Persona, staff: Staff, *, seed: int
    ) -> None:
        self.world, self.household, self.persona, self.staff = world, household, persona, staff
        self.rng = random.Random(f"{seed}:{household.ref}:{persona.value}")
        first = household.pupils[0]
        self.actor = parse_actor(
            f"student:{first.ref}" if first.adult else f"guardian:{household.guardians[0].email}"
        )
        self.dossiers = [(pupil, world.facts.dossier(pupil.ref)) for pupil in household.pupils]
        self.sent: set[str] = set()  # evidence sent and not refused: payment_form, income, S…
        self.waiting: str | None = None  # what makes the family act: reminder, rejection, lapse
        self.reminders_to_ignore = 0
        self.extended_until: dt.date | None = None

    @property
    def who(self) -> str:
        return self.household.ref

    # --- planning -------------------------------------------------------------

    def start(self) -> None:
        """Plan the first sitting, or what the family waits for."""
        opening, persona = self.world.facts.opens, self.persona
        day = partial(self._day_after, opening)
        if persona is Persona.EARLY_BIRD:
            self._sitting(self._any_time(day(0, 2)), self._complete("quotient_card"))
        elif persona is Persona.STEADY:
            first = day(3, 9)
            self._sitting(self._evening(first), self._details_steps())
            later = min(first + ONE_DAY * self.rng.randint(1, 3), self.world.facts.closes)
            self._sitting(self._evening(later), self._finish("quotient_card"))
        elif persona is Persona.REMINDED:
            self.waiting = "reminder"
            self.reminders_to_ignore = 1 if self.rng.random() < 0.4 else 0
        elif persona is Persona.FORGETFUL:
            steps = [*self._details_steps(), ("waits for a reminder", self._wait("reminder"))]
            self._sitting(self._any_time(day(0, 5)), steps)
        elif persona is Persona.WRONG_DOCUMENT:
            steps = [*self._details_steps(), *self._documents_steps("expired_quotient_card")]
            steps += self._each("supply_documents")
            steps.append(("waits for the review", self._wait("rejection")))
            self._sitting(self._any_time(day(1, 5)), steps)
        elif persona is Persona.WITHDRAWN:
            steps = [(f"withdraw {p.ref}", partial(self._stop, ref)) for p, ref in self.dossiers]
            self._sitting(self._any_time(day(0, 8)), steps)
        elif persona in (Persona.REOPENED_LATE, Persona.REOPENED_LAPSED):
            self.waiting = "lapse"

    def _day_after(self, day: dt.date, low: int, high: int) -> dt.date:
        return day + ONE_DAY * self.rng.randint(low, high)

    def _evening(self, day: dt.date) -> dt.datetime:
        return self.world.calendar.moment(self.rng, day, (18, 30), (22, 45))

    def _any_time(self, day: dt.date) -> dt.datetime:
        slot = self.rng.choice([((7, 0), (8, 40)), ((12, 0), (13, 50)), ((18, 30), (22, 45))])
        return self.world.calendar.moment(self.rng, day, *slot)

    def _soon_after(self, now: dt.datetime) -> dt.datetime:
        """An hour or a few later, or the next evening when that would be in the night."""
        calendar = self.world.calendar
        at = now + dt.timedelta(minutes=self.rng.randint(60, 300))
        hour = at.astimezone(calendar.zone).hour
        if 7 <= hour < 23 and calendar.day_of(at) == calendar.day_of(now):
            return at
        return self._evening(calendar.day_of(now) + ONE_DAY)

    def _sitting(self, at: dt.datetime, steps: list[tuple[str, Action]]) -> None:
        """Plan ``steps`` from ``at``, one to four minutes apart."""
        for label, step in steps:
            self.world.agenda.plan(at, f"{self.who} {label}", step)
            at += dt.timedelta(minutes=self.rng.randint(1, 4))

    def _wait(self, what: str) -> Action:
        def wait(now: dt.datetime) -> None:
            self.waiting = what

        return wait

    # --- what a sitting does ---------------------------------------------------

    def _details_steps(self) -> list[tuple[str, Action]]:
        return [(f"details {p.ref}", partial(self._details, p, ref)) for p, ref in self.dossiers]

    def _documents_steps(self, income: str) -> list[tuple[str, Action]]:
        steps: list[tuple[str, Action]] = [
            ("payment_form", partial(self._upload, "payment_form", "payment_form")),
            (income, partial(self._upload, "income", income)),
        ]
        steps += [(f"id_photo {p.ref}", partial(self._photo, p, ref)) for p, ref in self.dossiers]
        return steps

    def _each(self, event: str) -> list[tuple[str, Action]]:
        return [
            (f"{event} {p.ref}", partial(self._advance, ref, event)) for p, ref in self.dossiers
        ]

    def _finish(self, income: str) -> list[tuple[str, Action]]:
        return [
            *self._documents_steps(income),
            *self._each("supply_documents"),
            *self._each("accept_rules"),
        ]

    def _complete(self, income: str) -> list[tuple[str, Action]]:
        return [*self._details_steps(), *self._finish(income)]

    # --- steps -----------------------------------------------------------------

    def _attempt(
        self, now: dt.datetime, what: str, act: Callable[..., Any], *args: Any, **kw: Any
    ) -> Any:
        return self.world.attempt(now, self.who, what, act, *args, **kw)

    def _allows(self, ref: str, event: str) -> bool:
        return event in self.world.services.events(ref)

    def _details(self, pupil: Pupil, ref: str, now: dt.datetime) -> None:
        """Tick « Réinscription administrative », rank the éveil wishes, check the details."""
        if not self._allows(ref, "verify_identity"):
            return
        services = self.world.services
        preferences = ",".join(self._ranking()) if pupil.eveil else None
        remarks = self.rng.choice(REMARKS) if self.rng.random() < 0.15 else None
        answers = {"intent": "yes", "preferences": preferences, "remarks": remarks}
        self._attempt(now, f"answer {pupil.ref}", services.answer, ref, self.actor, now, **answers)
        what = f"verify_identity {pupil.ref}"
        self._attempt(now, what, services.fire, ref, "verify_identity", self.actor, now)

    def _ranking(self) -> list[str]:
        spec = self.world.facts.campaign.answers.preferences
        choices = [c for c in (spec.choices if spec else []) if not c.startswith("Éveil")]
        return self.rng.sample(choices, k=min(len(choices), self.rng.randint(2, 3)))

    def _upload(self, slot: str, kind: str, now: dt.datetime) -> None:
        """A family document, unless one already went in (and was not refused).

        The expired card is sent as if it were this year's (the family types in
        the dates asked for): only staff, looking at the file, can tell.
        """
        if slot in self.sent:
            return
        wrong = kind == "expired_quotient_card"
        stored = "quotient_card" if wrong else kind
        facts = self.world.facts.evidence(stored)
        reason = self.world.facts.expired_card_reason() if wrong else None
        self._add(now, self.dossiers[0][1], slot, stored, self.world.file(kind), facts, reason)

    def _photo(self, pupil: Pupil, ref: str, now: dt.datetime) -> None:
        if pupil.ref in self.sent:
            return
        taken = self.world.calendar.day_of(now) - ONE_DAY * self.rng.randint(7, 200)
        facts = DocumentFacts(issued=taken)
        self._add(now, ref, pupil.ref, "id_photo", self.world.file("id_photo"), facts, None)

    def _add(
        self,
        now: dt.datetime,
        ref: str,
        slot: str,
        kind: str,
        file: Path,
        facts: DocumentFacts,
        wrong: str | None,
    ) -> None:
        """``document add KIND FILE --dossier REF``; staff will review it (``wrong``: why
        they will reject it)."""
        services = self.world.services
        what = f"document {kind} ({file.name})"
        added = self._attempt(
            now, what, services.add_document, kind, file, ref, facts, self.actor, now
        )
        if added is not None:
            self.sent.add(slot)
            self.staff.received(added.id, kind, self.who, wrong)

    def _advance(self, ref: str, event: str, now: dt.datetime) -> None:
        """``dossier advance REF EVENT``, when the portal offers it."""
        if self._allows(ref, event):
            what = f"{event} {ref.rsplit('-', 1)[-1]}"
            self._attempt(now, what, self.world.services.fire, ref, event, self.actor, now)

    def _stop(self, ref: str, now: dt.datetime) -> None:
        """« ne pas poursuivre »: the box left unticked, a word why, then the withdrawal."""
        services, why = self.world.services, self.rng.choice(STOPPING)
        pupil = ref.rsplit("-", 1)[-1]
        answer = services.answer
        self._attempt(
            now, f"answer {pupil}", answer, ref, self.actor, now, intent="no", remarks=why
        )
        fire = services.fire
        self._attempt(now, f"withdraw {pupil}", fire, ref, "withdraw", self.actor, now, reason=why)

    # --- the mailbox -------------------------------------------------------------

    def receive(self, mail: Mail, now: dt.datetime) -> None:
        """React, once, to the message the family was waiting for."""
        facts = self.world.facts
        if self.waiting == "reminder" and mail.template in facts.reminder_templates:
            if self.reminders_to_ignore:
                self.reminders_to_ignore -= 1
                self.waiting = "next reminder"  # the other copies of this one are ignored too
                self.world.journal.note(now, self.who, "reads a reminder, puts it off")
                return
            self.waiting = None
            self._sitting(self._soon_after(now), self._complete("quotient_card"))
        elif self.waiting == "rejection" and mail.template == facts.template_of("reject_documents"):
            self.waiting = None
            self.sent.discard("income")
            self._sitting(self._soon_after(now), self._finish("tax_notice"))
        elif self.waiting == "lapse" and mail.template == facts.template_of("lapse"):
            self.waiting = None
            calendar = self.world.calendar
            day = calendar.next_office_day(calendar.day_of(now))
            if calendar.at(day, 9) <= now:  # read during office hours: calls the next morning
                day = calendar.next_office_day(day + ONE_DAY)
            call = calendar.moment(self.rng, day, (9, 0), (11, 45))
            grace = 8 if self.persona is Persona.REOPENED_LATE else 4
            self.staff.call(self, call, until=day + ONE_DAY * grace)

    def new_round(self) -> None:
        """A new round of messages: copies of the reminder put off are behind us."""
        if self.waiting == "next reminder":
            self.waiting = "reminder"

    def reopened(self, now: dt.datetime, until: dt.date) -> None:
        """Staff reopened the dossiers on the phone, giving until ``until``."""
        self.extended_until = until
        if self.persona is Persona.REOPENED_LATE:
            day = self.world.calendar.day_of(now) + ONE_DAY * self.rng.randint(1, 3)
            self._sitting(self._evening(min(day, until - ONE_DAY)), self._complete("quotient_card"))
