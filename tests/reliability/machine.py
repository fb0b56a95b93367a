"""The state machine of the model test: rules that act through the real services, each
outcome checked against ``oracle``, and the database checked against the model after
every step (see ``test_model``)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlmodel import Session

from dacapo.campaigns.schema import Role
from dacapo.engine.errors import (
    DacapoError,
    DossierNotFound,
    GuardFailed,
    TransitionNotAllowed,
)
from dacapo.engine.services import Outcome, fire
from dacapo.rules.snapshot import Actor
from dacapo.store.chain import verify_chain
from dacapo.store.corrections import Correction, extend_deadline, record_answers
from dacapo.store.documents import AddedDocument, DocumentFacts, Owner, add_document
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.reviews import Review, review_document
from tests.reliability.conftest import ModelEnv
from tests.reliability.oracle import (
    RULES_VERSION,
    STAFF,
    SYSTEM,
    Doc,
    FamilyModel,
    Spec,
    answer_refusal,
    document_refusal,
    extension_refusal,
    fire_codes,
    review_refusal,
)
from tests.reliability.seeding import Profile, seed
from tests.reliability.strategies import (
    DEADLINES,
    DESK,
    EVENTS,
    INSIDE,
    INSTANTS,
    INTENTS,
    NOT_AN_IMAGE,
    PREFERENCES,
    REASON,
    REMARKS,
    answers,
    contexts,
    pupils,
)
from tests.unit.files.samples import jpeg, pdf

T = TypeVar("T")
Context = tuple[str, str, dt.datetime]  # who acts, why, when
NEXT = {
    "invited": "verify_identity",
    "identity_verified": "supply_documents",
    "documents_supplied": "accept_rules",
    "rules_accepted": "confirm",  # when the automatic confirmation was kept back
}
FRENCH = re.compile(
    r"[àâçéèêëîïôûùüœ«»]| : |\b(le|la|les|de|du|des|est|pas|au|aux|ou|et|pour|ne|un|une)\b",
    re.IGNORECASE,
)


def explained(error: DacapoError) -> None:
    """A refusal says why: each unmet requirement in French, or a message naming the input."""
    if isinstance(error, GuardFailed):
        assert error.reasons, error
        assert len(error.reasons) == len(error.codes), error
        for reason in error.reasons:
            assert FRENCH.search(reason), f"not a French reason: {reason!r}"
    else:
        assert str(error).strip(), repr(error)


class DossierMachine(RuleBasedStateMachine):
    """The rules; ``test_model.machine`` adds the environment and the first step."""

    env: ModelEnv

    def __init__(self) -> None:
        super().__init__()
        self.spec = Spec(self.env.campaign)
        self.family: FamilyModel
        self.other_guardian = "claire.f0@example.org"

    def seed_family(self, profile: Profile) -> None:
        number = next(self.env.numbers)
        with self.env.db.engine.begin() as connection:
            self.family = seed(connection, number, profile)
        if number > 1:  # the guardian of an earlier example's family
            self.other_guardian = f"claire.f{number - 1}@example.org"

    def attempt(self, operation: Callable[[Session], T]) -> T | DacapoError:
        """``operation`` in a unit of work, committed if it returns; a refusal is returned
        (and checked to say why), nothing committed."""
        try:
            with self.env.db.unit_of_work() as uow:
                done = operation(uow.session)
                uow.commit()
                return done
        except DacapoError as error:
            explained(error)
            return error

    def actor(self, name: str, index: int) -> Actor:
        family, pupil = self.family, self.family.pupils[index]
        siblings = [p.student_ref for p in family.pupils if p is not pupil]
        return {
            "guardian": Actor(Role.GUARDIAN, family.emails[0]),
            "guardian in capitals": Actor(Role.GUARDIAN, f" {family.emails[0].upper()} "),
            "second guardian": Actor(Role.GUARDIAN, family.emails[-1]),
            "another family's guardian": Actor(Role.GUARDIAN, self.other_guardian),
            "pupil": Actor(Role.ADULT_STUDENT, pupil.student_ref),
            "sibling": Actor(Role.ADULT_STUDENT, (siblings or [f"{family.ref}-S9"])[0]),
            "staff": STAFF,
            "system": SYSTEM,
        }[name]

    def index(self, drawn: int) -> int:
        return drawn % len(self.family.pupils)

    # Firing events

    @rule(pupil=st.integers(0, 4), event=st.sampled_from(EVENTS), context=contexts)
    def fire_any_event(self, pupil: int, event: str, context: Context) -> None:
        """Pupil 4: a dossier that does not exist."""
        name, reason, now = context
        if pupil == 4:
            ref = f"malakoff-2023-2024-{self.family.ref}-S9"
            store = SqlDossierStore
            missing = self.attempt(lambda s: fire(store(s), ref, event, STAFF, now=now))
            assert isinstance(missing, DossierNotFound), missing
            assert ref in str(missing)
            return
        index = self.index(pupil)
        self.fire(index, event, self.actor(name, index), now, reason)

    @rule(pupil=pupils, choice=st.integers(0, 7))
    def fire_the_next_step(self, pupil: int, choice: int) -> None:
        """The likely path, inside the window: mostly the next step towards « confirmed »
        (« reopen » from a final state), else another event the state allows; by a
        guardian when one may act, else by staff with a reason."""
        index = self.index(pupil)
        state = self.family.pupils[index].state
        events = self.spec.allowed(state) or ["reopen"]  # « confirmed » allows nothing
        event = NEXT.get(state, "reopen") if choice < 4 else events[choice % len(events)]
        transition = self.spec.transitions.get((state, event))
        family_may = transition is not None and Role.GUARDIAN in transition.by
        actor = self.actor("guardian", index) if family_may else STAFF
        self.fire(index, event, actor, INSIDE, "" if family_may else REASON)

    @rule(pupil=pupils, until=st.sampled_from(DEADLINES), now=st.sampled_from(INSTANTS))
    def staff_reopen_with_a_new_deadline(self, pupil: int, until: dt.date, now: dt.datetime):
        """``dacapo dossier reopen REF --reason R --until DATE``: both happen, or neither."""
        self.fire(self.index(pupil), "reopen", STAFF, now, REASON, until=until)

    def fire(
        self,
        index: int,
        event: str,
        actor: Actor,
        now: dt.datetime,
        reason: str,
        *,
        until: dt.date | None = None,
    ) -> None:
        pupil = self.family.pupils[index]
        transition = self.spec.transitions.get((pupil.state, event))
        codes = set()
        if transition is not None:
            codes = fire_codes(self.spec, self.family, index, transition, actor, now, reason)
        extension = None
        if transition is not None and not codes and until is not None:
            extension = extension_refusal(self.spec, self.family, index, until, actor, now,
                                          reason, reopened=True)  # fmt: skip

        def write(session: Session) -> Outcome:
            outcome = fire(SqlDossierStore(session), pupil.ref, event, actor, now=now,
                           reason=reason)  # fmt: skip
            if until is not None:
                extend_deadline(session, pupil.ref, until, actor=actor, now=now, reason=reason)
            return outcome

        result = self.attempt(write)
        if transition is None:
            assert isinstance(result, TransitionNotAllowed), result
            assert (result.event, result.state) == (event, pupil.state)
            assert sorted(result.allowed) == sorted(self.spec.allowed(pupil.state))
            return
        if codes:
            assert isinstance(result, GuardFailed), (codes, result)
            assert set(result.codes) == codes
            return
        if extension is not None:  # the extension's refusal rolls the reopening back
            assert isinstance(result, extension), (extension, result)
            return
        assert isinstance(result, Outcome), (event, actor, now, result)
        self.record_transition(index, event, result.steps[0].to_state)
        follow = self.automatic_confirmation(index, actor, now)
        steps = [event, *(["confirm"] if follow == set() else [])]
        assert [step.event for step in result.steps] == steps
        assert {f.code for f in result.pending} == (follow or set())
        if follow == set():
            self.record_transition(index, "confirm", result.state)
        if until is not None and pupil.deadline != until:
            self.record_correction(index, deadline=until)

    def automatic_confirmation(self, index: int, actor: Actor, now: dt.datetime) -> set | None:
        """None: no confirmation follows; else the codes keeping it back (empty: it follows)."""
        pupil = self.family.pupils[index]
        confirm = self.spec.transitions.get((pupil.state, "confirm"))
        automatic = self.env.campaign.confirmation.mode == "automatic"
        if confirm is None or not automatic or actor.role is Role.SYSTEM:
            return None
        return fire_codes(self.spec, self.family, index, confirm, SYSTEM, now, "")

    def record_transition(self, index: int, event: str, to_state: str) -> None:
        pupil = self.family.pupils[index]
        transition = self.spec.transitions[pupil.state, event]
        assert to_state == transition.to
        pupil.state = to_state
        pupil.version += 1
        pupil.audit_rows += 1
        pupil.transitions += 1
        if transition.accepts_house_rules:
            pupil.house_rules = RULES_VERSION
        pupil.messages.update(self.spec.messages(self.family, pupil, transition.notify))

    def record_correction(self, index: int, **changes: Any) -> None:
        """A correction that changed something: one audit row, one more version."""
        pupil = self.family.pupils[index]
        for name, value in changes.items():
            setattr(pupil, name, value)
        pupil.version += 1
        pupil.audit_rows += 1

    # Evidence

    @rule(pupil=pupils, task=st.sampled_from(DESK), context=contexts)
    def at_the_desk(self, pupil: int, task: tuple, context: Context) -> None:
        """Add a document or review one (one rule: adding costs about 8 ms)."""
        if task[0] == "add":
            self.add_a_document(self.index(pupil), *task[1:], context)
        elif self.family.documents:
            name, reason, now = ("staff", REASON, context[2]) if task[3] else context
            self.review_a_document(pupil * 3 + task[1], task[2], (name, reason, now))

    def add_a_document(self, index: int, choice: Any, by_dossier: bool, kind: str,
                       not_an_image: bool, context: Context) -> None:  # fmt: skip
        name, _, now = context
        who, ref = self.actor(name, index), self.family.pupils[index].ref
        owner = Owner(dossier_ref=ref) if by_dossier else Owner(self.family.ref, "malakoff")
        facts = DocumentFacts(
            issued=choice.issued, valid_from=choice.valid_from, valid_until=choice.valid_until,
            tax_year=choice.tax_year, income_year=choice.income_year, signed=choice.signed,
        )  # fmt: skip
        content = NOT_AN_IMAGE if not_an_image else jpeg() if kind == "id_photo" else pdf()
        expected = document_refusal(self.env.campaign.document_kinds, self.family, index,
                                    choice, kind, who, by_dossier, not_an_image)  # fmt: skip

        def write(session: Session) -> AddedDocument:
            return add_document(session, kind, content, owner, facts, original_name="scan.pdf",
                                store_dir=self.env.store_dir, max_bytes=1 << 20, actor=who,
                                now=now)  # fmt: skip

        added = self.attempt(write)
        if expected is not None:
            assert type(added) is expected, (expected, added)
            return
        assert isinstance(added, AddedDocument), added
        student_level = choice.level == "student"
        self.family.documents.append(Doc(added.id, choice, index if student_level else None))
        concerned = [self.family.pupils[index]] if student_level else self.family.pupils
        assert sorted(added.audited) == sorted(p.ref for p in concerned)
        for each in concerned:
            each.audit_rows += 1

    def review_a_document(self, pick: int, decision: Any, context: Context) -> None:
        doc = self.family.documents[pick % len(self.family.documents)]
        name, reason, now = context
        who = self.actor(name, 0)
        expected = review_refusal(doc, decision, who, reason)
        review = self.attempt(
            lambda s: review_document(s, doc.id, decision, actor=who, now=now, reason=reason)
        )
        if expected is not None:
            assert type(review) is expected, (expected, review)
            return
        assert isinstance(review, Review), review
        doc.status = review.status
        concerned = self.family.pupils if doc.pupil is None else [self.family.pupils[doc.pupil]]
        effects = {effect.ref: effect for effect in review.effects}
        assert sorted(effects) == sorted(p.ref for p in concerned)
        for index, pupil in enumerate(self.family.pupils):
            if pupil not in concerned:
                continue
            if decision == "reject" and "reject_documents" in self.spec.allowed(pupil.state):
                assert effects[pupil.ref].event == "reject_documents"
                self.record_transition(index, "reject_documents", effects[pupil.ref].to_state)
            else:
                assert effects[pupil.ref].event == f"document_{review.status}"
                pupil.audit_rows += 1

    # Corrections

    @rule(pupil=pupils, given=answers, context=contexts)
    def answer(self, pupil: int, given: tuple, context: Context) -> None:
        index, (name, reason, now) = self.index(pupil), context
        model, who = self.family.pupils[index], self.actor(name, index)
        intent, preferences, remarks = given
        stored = (INTENTS[intent], PREFERENCES[preferences], REMARKS[remarks])
        expected = answer_refusal(self.family, index, stored, who, now, reason)
        done = self.attempt(
            lambda s: record_answers(s, model.ref, intent=intent, remarks=remarks,
                                     preferences=preferences, actor=who, now=now, reason=reason)
        )  # fmt: skip
        if expected is not None:
            assert type(done) is expected, (expected, done)
            return
        assert isinstance(done, Correction), done
        before = {"intent": model.intent, "preferences": model.preferences,
                  "remarks": model.remarks}  # fmt: skip
        after = {
            k: old if new is None else new
            for (k, old), new in zip(before.items(), stored, strict=True)
        }
        assert (done.audit_seq is not None) == (after != before)
        if after != before:
            self.record_correction(index, **after)

    @rule(pupil=pupils, until=st.sampled_from(DEADLINES), context=contexts)
    def extend_the_deadline(self, pupil: int, until: dt.date, context: Context) -> None:
        index, (name, reason, now) = self.index(pupil), context
        model, who = self.family.pupils[index], self.actor(name, index)
        expected = extension_refusal(self.spec, self.family, index, until, who, now, reason)
        done = self.attempt(
            lambda s: extend_deadline(s, model.ref, until, actor=who, now=now, reason=reason)
        )
        if expected is not None:
            assert type(done) is expected, (expected, done)
            return
        assert isinstance(done, Correction), done
        assert (done.audit_seq is not None) == (model.deadline != until)
        if model.deadline != until:
            self.record_correction(index, deadline=until)

    # After every step

    @invariant()
    def the_database_matches_the_model(self) -> None:
        pupils = {p.dossier_id: p for p in self.family.pupils}
        dossiers, audit, outbox = self.env.reader.family(list(pupils))
        assert verify_chain(audit) is None
        for dossier_id, state, version, deadline, house_rules in dossiers:
            pupil = pupils[dossier_id]
            assert state in self.spec.states
            seen = (state, version, deadline, house_rules)
            assert seen == (pupil.state, pupil.version, pupil.deadline, pupil.house_rules)
            trail = [row for row in audit if row.dossier_id == dossier_id]
            moves = [row for row in trail if row.event in self.spec.events]
            assert (len(trail), len(moves)) == (pupil.audit_rows, pupil.transitions)
            assert not trail or trail[-1].to_state == state
            for move in moves:
                transition = self.spec.transitions.get((move.from_state, move.event))
                assert transition is not None, move
                assert transition.to == move.to_state, move
                if move.from_state in self.spec.final:  # only staff reopen a closed dossier
                    assert (move.event, move.role) == ("reopen", "staff"), move
            queued = Counter((e, c, r) for _, d, e, c, r in outbox if d == dossier_id)
            assert queued == pupil.messages
        keys = [key for key, *_ in outbox]
        assert len(keys) == len(set(keys))
