"""Who may fire an event: role, family membership, adult pupil, reason."""

from __future__ import annotations

import datetime as dt

import pytest

from dacapo.campaigns.schema import Role
from dacapo.rules.access import actor_allowed
from dacapo.rules.findings import Finding, Status
from dacapo.rules.snapshot import Actor, DossierSnapshot
from tests.unit.rules.conftest import context, make_snapshot, with_student

STAFF = Actor(Role.STAFF, "scolarite.malakoff")
SYSTEM = Actor(Role.SYSTEM, "scheduler")


def judge(
    actor: Actor,
    event: str = "verify_identity",
    pupil: str = "dance",
    reason: str | None = None,
    snapshot: DossierSnapshot | None = None,
) -> list[Finding]:
    snapshot = snapshot or make_snapshot(pupil)
    return actor_allowed(context(snapshot, actor=actor, event=event, reason=reason))


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


class TestGuardians:
    def test_a_guardian_of_the_family_may_verify_identity(self) -> None:
        findings = judge(Actor(Role.GUARDIAN, "marie.dupont@example.fr"))
        assert codes(findings) == ["actor.allowed"]
        assert findings[0].status is Status.MET
        assert findings[0].item == "actor"

    def test_the_guardian_email_matches_whatever_its_case(self) -> None:
        assert codes(judge(Actor(Role.GUARDIAN, "PAUL.martin@EXAMPLE.fr"))) == ["actor.allowed"]

    def test_a_guardian_of_another_family_is_refused(self) -> None:
        (finding,) = judge(Actor(Role.GUARDIAN, "voisin@example.fr"))
        assert finding.code == "actor.not_guardian"
        assert finding.message == "« voisin@example.fr » n'est pas responsable de cette famille"

    def test_a_guardian_may_not_confirm(self) -> None:
        (finding,) = judge(Actor(Role.GUARDIAN, "marie.dupont@example.fr"), event="confirm")
        assert finding.code == "actor.role_not_allowed"
        assert finding.message == "Action « confirm » réservée à : système, personnel"


class TestAdultStudents:
    def test_an_adult_pupil_may_act_on_their_own_dossier(self) -> None:
        assert codes(judge(Actor(Role.ADULT_STUDENT, "S-CAM"), pupil="adult")) == ["actor.allowed"]

    def test_a_pupil_may_not_act_on_a_siblings_dossier(self) -> None:
        (finding,) = judge(Actor(Role.ADULT_STUDENT, "S-CAM"), pupil="dance")
        assert finding.code == "actor.not_student"

    def test_a_minor_pupil_may_not_act_alone(self) -> None:
        (finding,) = judge(Actor(Role.ADULT_STUDENT, "S-ZOE"), pupil="dance")
        assert finding.code == "actor.student_minor"
        assert finding.message == (
            "Zoé Martin n'a pas 18 ans au 01/09/2023 : un responsable doit agir"
        )

    @pytest.mark.parametrize(
        ("born", "allowed"),
        [(dt.date(2005, 9, 1), True), (dt.date(2005, 9, 2), False)],
    )
    def test_adulthood_is_judged_on_the_first_day_of_the_school_year(
        self, born: dt.date, allowed: bool
    ) -> None:
        snapshot = with_student(make_snapshot("adult"), birth_date=born)
        findings = judge(Actor(Role.ADULT_STUDENT, "S-CAM"), snapshot=snapshot)
        assert (codes(findings) == ["actor.allowed"]) is allowed

    def test_an_unknown_birth_date_does_not_prove_adulthood(self) -> None:
        snapshot = with_student(make_snapshot("adult"), birth_date=None)
        (finding,) = judge(Actor(Role.ADULT_STUDENT, "S-CAM"), snapshot=snapshot)
        assert finding.code == "actor.student_minor"


class TestStaffAndSystem:
    def test_the_system_may_confirm(self) -> None:
        assert codes(judge(SYSTEM, event="confirm")) == ["actor.allowed"]

    def test_the_system_may_not_reject_documents(self) -> None:
        assert codes(judge(SYSTEM, event="reject_documents", reason="x")) == [
            "actor.role_not_allowed"
        ]

    def test_a_transition_requiring_a_reason_refuses_staff_without_one(self) -> None:
        (finding,) = judge(STAFF, event="reject_documents", reason="  ")
        assert finding.code == "actor.reason_missing"
        assert finding.message == "Motif obligatoire pour l'action « reject_documents »"

    def test_a_transition_requiring_a_reason_accepts_staff_with_one(self) -> None:
        findings = judge(STAFF, event="reject_documents", reason="Photo floue")
        assert codes(findings) == ["actor.allowed"]

    def test_a_wrong_role_without_reason_gets_both_findings(self) -> None:
        findings = judge(Actor(Role.GUARDIAN, "marie.dupont@example.fr"), event="reopen")
        assert codes(findings) == ["actor.role_not_allowed", "actor.reason_missing"]


def test_nothing_is_judged_without_an_actor_or_a_transition() -> None:
    assert actor_allowed(context(make_snapshot(), event="verify_identity")) == []
    assert actor_allowed(context(make_snapshot(), actor=STAFF)) == []
