"""Firing events: the one way a dossier changes state."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dacapo.campaigns.schema import Role
from dacapo.engine.errors import ConcurrentUpdate, GuardFailed, TransitionNotAllowed
from dacapo.engine.services import fire
from dacapo.rules.snapshot import Actor
from tests.unit.engine.fakes import FakeStore
from tests.unit.rules.conftest import CAMPAIGN, MARIE, make_snapshot

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2023, 5, 15, 10, 0, tzinfo=PARIS)
AFTER_CLOSE = dt.datetime(2023, 5, 25, 0, 0, tzinfo=PARIS)
GUARDIAN = Actor(Role.GUARDIAN, MARIE.email or "")
STAFF = Actor(Role.STAFF, "secretariat")


@pytest.fixture
def store() -> FakeStore:
    fake = FakeStore(CAMPAIGN)
    fake.add(make_snapshot("dance", ref="D-ZOE"))
    return fake


def walk_to_rules_accepted(store: FakeStore) -> None:
    for event in ("verify_identity", "supply_documents"):
        fire(store, "D-ZOE", event, GUARDIAN, now=NOW)


class TestHappyPath:
    def test_a_guardian_moves_the_dossier_step_by_step_with_one_audit_row_each(
        self, store: FakeStore
    ) -> None:
        walk_to_rules_accepted(store)
        assert store.dossier("D-ZOE").snapshot.state == "documents_supplied"
        assert [(c.event, c.from_state, c.to_state) for c in store.audit] == [
            ("verify_identity", "invited", "identity_verified"),
            ("supply_documents", "identity_verified", "documents_supplied"),
        ]

    def test_accepting_the_rules_confirms_automatically_and_queues_the_confirmation(
        self, store: FakeStore
    ) -> None:
        walk_to_rules_accepted(store)
        outcome = fire(store, "D-ZOE", "accept_rules", GUARDIAN, now=NOW)
        assert [s.event for s in outcome.steps] == ["accept_rules", "confirm"]
        assert outcome.state == "confirmed"
        assert store.audit[-1].actor.role is Role.SYSTEM
        assert store.dossier("D-ZOE").snapshot.house_rules_version == "2023"
        recipients = sorted(m.recipient for m in store.outbox.values())
        assert recipients == ["Paul.Martin@example.fr", "marie.dupont@example.fr"]
        assert {m.message for m in store.outbox.values()} == {"confirmation"}


class TestRefusals:
    def test_an_event_not_allowed_now_lists_the_events_that_are(self, store: FakeStore) -> None:
        with pytest.raises(TransitionNotAllowed) as caught:
            fire(store, "D-ZOE", "accept_rules", GUARDIAN, now=NOW)
        assert "verify_identity" in caught.value.allowed
        assert "allowed now" in str(caught.value)
        assert store.audit == []

    def test_an_unknown_event_is_refused_the_same_way(self, store: FakeStore) -> None:
        with pytest.raises(TransitionNotAllowed, match="'fly' is not allowed"):
            fire(store, "D-ZOE", "fly", GUARDIAN, now=NOW)

    def test_missing_requirements_are_all_listed_in_french(self, store: FakeStore) -> None:
        store.add(make_snapshot("dance", ref="D-2", documents=()))
        fire(store, "D-2", "verify_identity", GUARDIAN, now=NOW)
        with pytest.raises(GuardFailed) as caught:
            fire(store, "D-2", "supply_documents", GUARDIAN, now=NOW)
        text = " | ".join(caught.value.reasons)
        assert "Formulaire de modalité de paiement" in text
        assert "Justificatif de quotient familial manquant" in text
        assert len(store.audit) == 1

    def test_the_closed_window_refuses_a_family_and_says_staff_may_act_with_a_reason(
        self, store: FakeStore
    ) -> None:
        with pytest.raises(GuardFailed) as caught:
            fire(store, "D-ZOE", "verify_identity", GUARDIAN, now=AFTER_CLOSE)
        assert "close depuis le 25/05/2023" in caught.value.reasons[0]
        assert "motif" in caught.value.reasons[0]

    def test_staff_act_after_the_close_only_with_a_reason(self, store: FakeStore) -> None:
        with pytest.raises(GuardFailed):
            fire(store, "D-ZOE", "verify_identity", STAFF, now=AFTER_CLOSE)
        outcome = fire(
            store, "D-ZOE", "verify_identity", STAFF, now=AFTER_CLOSE, reason="dossier papier"
        )
        assert outcome.state == "identity_verified"
        assert store.audit[-1].reason == "dossier papier"

    def test_a_stranger_cannot_act_for_the_family(self, store: FakeStore) -> None:
        with pytest.raises(GuardFailed):
            fire(store, "D-ZOE", "verify_identity", Actor(Role.GUARDIAN, "x@y.fr"), now=NOW)

    def test_a_stale_version_is_a_conflict(self, store: FakeStore) -> None:
        with pytest.raises(ConcurrentUpdate, match="Someone else changed"):
            fire(store, "D-ZOE", "verify_identity", GUARDIAN, now=NOW, expected_version=7)

    def test_a_naive_now_is_refused(self, store: FakeStore) -> None:
        with pytest.raises(ValueError, match="time zone"):
            fire(store, "D-ZOE", "verify_identity", GUARDIAN, now=dt.datetime(2023, 5, 15))


class TestStaffEvents:
    def test_rejecting_documents_needs_a_reason_and_queues_the_notice(
        self, store: FakeStore
    ) -> None:
        walk_to_rules_accepted(store)
        with pytest.raises(GuardFailed):
            fire(store, "D-ZOE", "reject_documents", STAFF, now=NOW)
        fire(store, "D-ZOE", "reject_documents", STAFF, now=NOW, reason="photo floue")
        assert store.dossier("D-ZOE").snapshot.state == "identity_verified"
        notices = [m for m in store.outbox.values() if m.message == "document_rejected"]
        assert {m.channel for m in notices} == {"email", "sms"}
        assert {m.context["reason"] for m in notices} == {"photo floue"}

    def test_a_lapsed_dossier_is_reopened_by_staff_with_a_reason(self, store: FakeStore) -> None:
        fire(store, "D-ZOE", "lapse", Actor(Role.SYSTEM, "dacapo"), now=AFTER_CLOSE)
        with pytest.raises(TransitionNotAllowed):
            fire(store, "D-ZOE", "verify_identity", STAFF, now=AFTER_CLOSE, reason="x")
        fire(store, "D-ZOE", "reopen", STAFF, now=AFTER_CLOSE, reason="famille absente")
        assert store.dossier("D-ZOE").snapshot.state == "invited"

    def test_the_same_cause_never_queues_a_message_twice(self, store: FakeStore) -> None:
        walk_to_rules_accepted(store)
        fire(store, "D-ZOE", "accept_rules", GUARDIAN, now=NOW)
        keys = [m.key for c in store.audit for m in c.messages]
        assert len(keys) == len(set(keys)) == len(store.outbox)
