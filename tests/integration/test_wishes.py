"""New pupils' wishes registered at the desk: family, pupil, dossier and trail together."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from dacapo.campaigns.schema import Role
from dacapo.engine.errors import BadInput, GuardFailed, NotFound
from dacapo.engine.services import fire
from dacapo.engine.wishes import Wish, read_wish, split_guardian, split_preferences
from dacapo.rules.snapshot import Actor
from dacapo.store.audit import verify_audit
from dacapo.store.database import Database
from dacapo.store.dossiers import get_dossier
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.tables import Answer, AuditRow, Dossier, Family, Guardian, Student
from dacapo.store.wishes import Registered, register_wish
from tests.integration.malakoff import load_bundled_campaign, seed_family

PARIS = dt.timezone(dt.timedelta(hours=2))
JUNE = dt.datetime(2023, 6, 12, 14, 0, tzinfo=PARIS)
MAY = dt.datetime(2023, 5, 15, 10, 0, tzinfo=PARIS)
JULY = dt.datetime(2023, 7, 1, 0, 0, tzinfo=PARIS)  # the first instant after 30 June
STAFF = Actor(Role.STAFF, "accueil")
REF = "malakoff-2023-2024-N0001"


def wish(**changes: Any) -> Wish:
    data: dict[str, Any] = {
        "site": "malakoff",
        "window": "new_pupils",
        "family_ref": "F9",
        "guardians": [split_guardian("Martin;Anne;anne.martin@example.org;06 12 34 56 78")],
        "address": "3 rue Béranger",
        "postcode": "92240",
        "city": "Malakoff",
        "student_ref": "N0001",
        "last_name": "Martin",
        "first_name": "Zoe\u0301",  # decomposed: stored in NFC
        "birth_date": "14/03/2017",
        "discipline": "Musique",
        "cycle": "eveil",
        "preferences": split_preferences("violon, Éveil musical"),
    }
    data.update(changes)
    return read_wish(data)


def register(
    db: Database, given: Wish, now: dt.datetime = JUNE, actor: Actor = STAFF, **kw: Any
) -> Registered:
    with db.unit_of_work() as uow:
        done = register_wish(uow.session, given, actor=actor, now=now, **kw)
        uow.commit()
    return done


def counts(db: Database) -> tuple[int, ...]:
    with db.unit_of_work(read_only=True) as uow:
        return tuple(
            uow.session.exec(select(func.count()).select_from(table)).one()
            for table in (Family, Guardian, Student, Dossier, Answer, AuditRow)
        )


@pytest.fixture
def campaign(db: Database) -> None:
    load_bundled_campaign(db)


@pytest.mark.usefixtures("campaign")
class TestRegistering:
    def test_inside_the_window_a_new_pupil_dossier_opens_at_wish_registered(
        self, db: Database
    ) -> None:
        done = register(db, wish())
        assert (done.dossier_ref, done.workflow, done.state) == (
            REF,
            "new_pupil",
            "wish_registered",
        )
        assert done.family_created
        assert done.guardians_added == ("anne.martin@example.org",)
        with db.unit_of_work(read_only=True) as uow:
            session = uow.session
            dossier = get_dossier(session, REF)
            student = session.get_one(Student, dossier.student_id)
            answer = session.get_one(Answer, dossier.id)
            guardian = session.exec(select(Guardian)).one()
            [audit] = session.exec(select(AuditRow)).all()
            assert verify_audit(session) is None
        assert (dossier.window, dossier.campaign_version, dossier.created_at) == (
            "new_pupils",
            1,
            JUNE,
        )
        assert (student.status, student.first_name, student.birth_date) == (
            "new",
            "Zoé",
            dt.date(2017, 3, 14),
        )
        assert (student.discipline, student.cycle) == ("musique", "eveil")
        assert answer.preferences == ["Violon", "Éveil musical"]
        assert (guardian.position, guardian.mobile) == (1, "+33612345678")
        assert (audit.seq, audit.event, audit.from_state, audit.to_state) == (
            1,
            "open",
            "wish_registered",
            "wish_registered",
        )
        assert audit.reason == "vœux : 1. Violon, 2. Éveil musical"
        assert (audit.actor, audit.role, audit.effective_at) == ("accueil", "staff", JUNE)

    @pytest.mark.parametrize("now", [MAY, JULY], ids=["before", "after"])
    def test_outside_the_window_it_is_refused_with_the_dates_and_nothing_is_written(
        self, db: Database, now: dt.datetime
    ) -> None:
        before = counts(db)
        with pytest.raises(GuardFailed) as refused:
            register(db, wish(), now=now)
        message = str(refused.value)
        assert "du 05/06/2023 00:00 au 30/06/2023 23:59 (Europe/Paris)" in message
        assert "--reason" in message
        assert refused.value.exit_code == 1
        assert counts(db) == before

    def test_outside_the_window_staff_with_a_reason_may_register(self, db: Database) -> None:
        done = register(db, wish(), now=MAY, reason="Fratrie déjà inscrite, vu en mai")
        assert done.state == "wish_registered"
        with db.unit_of_work(read_only=True) as uow:
            audit = uow.session.exec(select(AuditRow)).one()
        assert audit.reason is not None
        assert audit.reason.endswith("motif : Fratrie déjà inscrite, vu en mai")

    def test_outside_the_window_a_guardian_may_not_even_with_a_reason(self, db: Database) -> None:
        anne = Actor(Role.GUARDIAN, "anne.martin@example.org")
        register(db, wish(), actor=anne)  # inside: fine
        with pytest.raises(GuardFailed, match="05/06/2023"):
            register(db, wish(student_ref="N0002"), now=MAY, actor=anne, reason="please")

    def test_a_stranger_guardian_is_refused(self, db: Database) -> None:
        with pytest.raises(GuardFailed, match="n'est pas responsable"):
            register(db, wish(), actor=Actor(Role.GUARDIAN, "other@example.org"))
        assert counts(db) == (0, 0, 0, 0, 0, 0)

    def test_an_existing_family_is_matched_and_its_guardians_by_email(self, db: Database) -> None:
        seed_family(db, "F1")  # Claire (1) and Moussa (2)
        before = counts(db)
        done = register(
            db,
            wish(
                family_ref="F1",
                guardians=[
                    split_guardian("Lefèvre;Claire;CLAIRE.F1@example.org;"),
                    split_guardian("Martin;Paul;paul.martin@example.org;07 81 23 45 67"),
                ],
                address=None,
                postcode=None,
                city=None,
            ),
        )
        assert not done.family_created
        assert done.family_updated == ()
        assert done.guardians_matched == ("CLAIRE.F1@example.org",)
        assert done.guardians_added == ("paul.martin@example.org",)
        assert counts(db)[:2] == (before[0], before[1] + 1)
        with db.unit_of_work(read_only=True) as uow:
            rows = uow.session.exec(select(Guardian).order_by(col(Guardian.position))).all()
            student = uow.session.exec(select(Student).where(Student.ref == "N0001")).one()
            family = uow.session.exec(select(Family).where(Family.ref == "F1")).one()
        assert [(g.position, g.first_name) for g in rows] == [
            (1, "Claire"),
            (2, "Moussa"),
            (3, "Paul"),
        ]
        assert student.family_id == family.id
        assert family.address == "12 rue Pierre Larousse"

    def test_an_existing_pupil_reference_is_refused(self, db: Database) -> None:
        seed_family(db, "F1")
        before = counts(db)
        with pytest.raises(BadInput, match="'F1-S1' is already used at malakoff"):
            register(db, wish(family_ref="F1", student_ref="F1-S1"))
        assert counts(db) == before

    def test_a_new_family_needs_a_guardian(self, db: Database) -> None:
        with pytest.raises(BadInput, match="--guardian"):
            register(db, wish(guardians=[]))

    def test_a_window_that_is_not_for_new_pupils_is_refused_listing_them(
        self, db: Database
    ) -> None:
        with pytest.raises(BadInput, match=r"new-pupil windows: new_pupils"):
            register(db, wish(window="reenrolment"))

    def test_wishes_outside_the_campaigns_choices_are_refused_with_a_suggestion(
        self, db: Database
    ) -> None:
        with pytest.raises(BadInput, match="did you mean 'Éveil danse'"):
            register(db, wish(preferences=["eveil dance"]))
        with pytest.raises(BadInput, match="each wish once"):
            register(db, wish(preferences=["Violon", "violon"]))

    def test_an_unknown_site_is_not_found(self, db: Database) -> None:
        with pytest.raises(NotFound, match="No campaign loaded for site 'vanves'"):
            register(db, wish(site="vanves"))

    def test_the_dossier_then_moves_through_the_new_pupil_workflow(self, db: Database) -> None:
        register(db, wish())
        register(db, wish(student_ref="N0002", first_name="Léo"))
        anne = Actor(Role.GUARDIAN, "anne.martin@example.org")
        steps = [
            ("N0001", "waitlist", STAFF, None, "waitlisted"),
            ("N0001", "offer", STAFF, None, "offered"),
            ("N0001", "decline", anne, None, "declined"),
            ("N0002", "refuse", STAFF, "Plus de place en éveil", "refused"),
        ]
        for student, event, actor, reason, expected in steps:
            with db.unit_of_work() as uow:
                ref = f"malakoff-2023-2024-{student}"
                outcome = fire(
                    SqlDossierStore(uow.session), ref, event, actor, now=JUNE, reason=reason
                )
                uow.commit()
            assert outcome.state == expected
        with db.unit_of_work(read_only=True) as uow:
            assert verify_audit(uow.session) is None


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"guardians": [{"last_name": "Martin", "first_name": "Anne", "email": "anne@"}]}, "email"),
        ({"guardians": [split_guardian("Martin;Anne;a@example.org;01 46 12 34 56")]}, "fixe"),
        ({"postcode": "9224"}, "--postcode"),
        ({"birth_date": "31/02/2017"}, "--birth-date"),
        ({"last_name": "  "}, "--last-name: required"),
        ({"preferences": []}, "at least one wish"),
        ({"student_ref": "N 0001"}, "--student-ref"),
    ],
)
def test_bad_input_is_refused_before_any_row_naming_the_option(
    changes: dict[str, Any], said: str
) -> None:
    with pytest.raises(BadInput, match=said):
        wish(**changes)


def test_a_guardian_option_needs_three_or_four_parts() -> None:
    with pytest.raises(BadInput, match="Last;First;email;mobile"):
        split_guardian("Martin Anne anne@example.org")
