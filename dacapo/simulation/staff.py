"""The « scolarité »: reviewing documents, taking calls, and the new pupils' desk.

- every office morning, the income evidence received since the last review
  (it sets the fees) is checked (``document review``): accepted, or rejected
  with a reason in French when the file is not what the family said it was;
- a family calling after the close is reopened with a deadline
  (``dossier reopen --reason ... --until ...``);
- in the new-pupil window, families come to the desk to express wishes
  (``wish add``); a few days before it closes, a commission offers the places
  it has and waitlists the other wishes; a family that declines frees a place
  for the first one waitlisted.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from dacapo.commands.context import parse_actor
from dacapo.engine.wishes import split_guardian
from dacapo.simulation.people import CITY, POSTCODE, Newcomer
from dacapo.simulation.timeline import ONE_DAY, days
from dacapo.simulation.world import World

if TYPE_CHECKING:
    from dacapo.simulation.families import Family

OFFERED_SHARE = 0.6  # of the wishes the commission sees, offered a place


@dataclass
class Received:
    document_id: int
    kind: str
    family: str
    wrong: str | None  # the reason to reject it, when the file is not what was declared


@dataclass
class Wish:
    newcomer: Newcomer
    dossier: str
    last_event: str = "wish"  # then offer, waitlist, decline


class Staff:
    def __init__(self, world: World, *, seed: int) -> None:
        self.world = world
        self.rng = random.Random(f"{seed}:staff")
        self.office = parse_actor("staff:scolarite")
        self.desk = parse_actor("staff:accueil")
        self.inbox: list[Received] = []
        self.wishes: list[Wish] = []
        self.reviewed = {"accept": 0, "reject": 0}
        self.reopened: list[tuple[str, dt.date]] = []

    def start(self, first: dt.date, last: dt.date) -> None:
        """Plan a review every office morning."""
        calendar = self.world.calendar
        for day in days(first, last):
            if calendar.office_day(day):
                self.world.agenda.plan(
                    calendar.moment(self.rng, day, (9, 15), (10, 15)), "staff review", self._review
                )

    def _attempt(
        self, now: dt.datetime, what: str, act: Callable[..., Any], *args: Any, **kw: Any
    ) -> Any:
        return self.world.attempt(now, "staff", what, act, *args, **kw)

    # --- documents ---------------------------------------------------------------

    def received(self, document_id: int, kind: str, family: str, wrong: str | None) -> None:
        """A document came in; the income evidence waits for the next review."""
        if kind in self.world.facts.income_kinds:
            self.inbox.append(Received(document_id, kind, family, wrong))

    def _review(self, now: dt.datetime) -> None:
        todo, self.inbox = self.inbox, []
        for item in todo:
            decision = "reject" if item.wrong else "accept"
            what = f"review {decision} document {item.document_id} {item.kind} ({item.family})"
            review = self.world.services.review
            done = self._attempt(
                now, what, review, item.document_id, decision, self.office, now, item.wrong
            )
            if done is None:
                continue
            self.reviewed[decision] += 1
            for effect in done.effects:
                if effect.moved:
                    pupil = effect.ref.rsplit("-", 1)[-1]
                    self.world.journal.note(
                        now,
                        "staff",
                        f"  {pupil}: {effect.from_state} → {effect.to_state} "
                        f"({effect.event}, {effect.messages} messages queued)",
                    )

    # --- calls after the close -------------------------------------------------------

    def call(self, family: Family, at: dt.datetime, *, until: dt.date) -> None:
        self.world.agenda.plan(at, f"staff call {family.who}", partial(self._reopen, family, until))

    def _reopen(self, family: Family, until: dt.date, now: dt.datetime) -> None:
        self.world.journal.note(now, family.who, "calls the desk after the lapse notice")
        day = self.world.calendar.day_of(now).strftime("%d/%m")
        reason = f"Appel de la famille le {day} : absente pendant toute la période, délai accordé"
        for _, ref in family.dossiers:
            if "reopen" not in self.world.services.events(ref):
                continue
            what = f"reopen {ref.rsplit('-', 1)[-1]} until {until:%d/%m/%Y}"
            reopen = self.world.services.reopen
            done = self._attempt(
                now, what, reopen, ref, self.office, now, reason=reason, until=until
            )
            if done is not None:
                self.reopened.append((ref, until))
        family.reopened(now, until)

    # --- new pupils ------------------------------------------------------------------

    def plan_desk(self, newcomers: list[Newcomer]) -> None:
        """Wishes registered at the desk on office days of the new-pupil window; the
        commission, a decline and the place offered again."""
        facts, calendar = self.world.facts, self.world.calendar
        if facts.new_pupils is None or not newcomers:
            return
        window = facts.campaign.windows[facts.new_pupils]
        open_days = [d for d in days(window.opens, window.closes) if calendar.office_day(d)]
        commission = max(d for d in open_days if d <= window.closes - 4 * ONE_DAY)
        for newcomer in newcomers:
            at = calendar.moment(self.rng, self.rng.choice(open_days), (9, 0), (17, 30))
            label = f"desk wish {newcomer.pupil.ref}"
            self.world.agenda.plan(at, label, partial(self._register, newcomer))
        later = [d for d in open_days if d > commission]
        self.world.agenda.plan(calendar.at(commission, 14), "commission", self._commission)
        if len(later) >= 2:
            self.world.agenda.plan(calendar.at(later[0], 19, 12), "a decline", self._decline)
            self.world.agenda.plan(calendar.at(later[1], 10, 5), "offer again", self._offer_again)

    def _register(self, newcomer: Newcomer, now: dt.datetime) -> None:
        family, pupil = newcomer.family, newcomer.pupil
        guardians = family.guardians[:1] if newcomer.known_family else family.guardians
        data: dict[str, Any] = {
            "site": self.world.facts.campaign.site.code,
            "window": self.world.facts.new_pupils,
            "family_ref": family.ref,
            "guardians": [split_guardian(g.guardian_option) for g in guardians],
            "address": None if newcomer.known_family else family.address,
            "postcode": None if newcomer.known_family else POSTCODE,
            "city": None if newcomer.known_family else CITY,
            "student_ref": pupil.ref,
            "last_name": pupil.last_name,
            "first_name": pupil.first_name,
            "birth_date": pupil.birth_date.strftime("%d/%m/%Y"),
            "discipline": pupil.discipline,
            "cycle": pupil.cycle,
            "preferences": list(newcomer.preferences),
        }
        wishes = ", ".join(newcomer.preferences)
        what = f"wish {pupil.ref} ({family.ref}: {wishes})"
        done = self._attempt(now, what, self.world.services.register_wish, data, self.desk, now)
        if done is not None:
            self.wishes.append(Wish(newcomer, done.dossier_ref))

    def _fire(self, now: dt.datetime, wish: Wish, event: str, actor: Any = None) -> None:
        who = actor or self.office
        what = f"{event} {wish.newcomer.pupil.ref}"
        done = self._attempt(now, what, self.world.services.fire, wish.dossier, event, who, now)
        if done is not None:
            wish.last_event = event

    def _commission(self, now: dt.datetime) -> None:
        """Places for the first wishes registered, the waiting list for the others."""
        seen = [w for w in self.wishes if w.last_event == "wish"]
        places = round(len(seen) * OFFERED_SHARE)
        for index, wish in enumerate(seen):
            self._fire(now, wish, "offer" if index < places else "waitlist")

    def _decline(self, now: dt.datetime) -> None:
        """The family of the last pupil offered a place writes that they decline it."""
        offered = [w for w in self.wishes if w.last_event == "offer"]
        if offered:
            wish = offered[-1]
            guardian = parse_actor(f"guardian:{wish.newcomer.family.guardians[0].email}")
            self._fire(now, wish, "decline", guardian)

    def _offer_again(self, now: dt.datetime) -> None:
        """The place declined goes to the first pupil on the waiting list."""
        waiting = [w for w in self.wishes if w.last_event == "waitlist"]
        if waiting and any(w.last_event == "decline" for w in self.wishes):
            self._fire(now, waiting[0], "offer")
