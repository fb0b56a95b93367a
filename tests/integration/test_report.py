"""The campaign report on a small Malakoff campaign, on SQLite and PostgreSQL.

Five pupils in three families, opened on 10 May 2023 and moved through the
engine on known days (Paris time): Léa confirmed (the last step at 00:30 on
13 May, still 12 May in UTC), Hugo withdrawn, Zoé left invited in a family
without its income evidence, two dancers (Inès confirmed, Awa invited with
an extension to 31 May) owing the medical certificate.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from dacapo.campaigns.schema import Role
from dacapo.engine.services import fire
from dacapo.engine.wishes import read_wish, split_guardian, split_preferences
from dacapo.reports.build import build_report
from dacapo.reports.contacts import display_phone
from dacapo.reports.model import Report
from dacapo.rules.phones import display_fr_mobile
from dacapo.rules.snapshot import Actor
from dacapo.store.audit_bulk import Entry, insert_audit_rows
from dacapo.store.corrections import extend_deadline
from dacapo.store.database import Database
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.outstanding import owing
from dacapo.store.report_documents import lacking_documents
from dacapo.store.report_queries import DOSSIER, OUTBOX, STUDENT, funnel_moves
from dacapo.store.tables import Document
from dacapo.store.wishes import register_wish
from tests.integration.owing_corpus import seed_corpus
from tests.integration.ready_dossiers import CAMPAIGN, load_bundled_campaign, seed_family

PARIS = ZoneInfo("Europe/Paris")
STAFF = Actor(Role.STAFF, "secretariat")
NOW = dt.datetime(2023, 5, 15, 10, 0, tzinfo=PARIS)
LEA, HUGO, ZOE, INES, AWA = (f"malakoff-2023-2024-S{n}" for n in (101, 102, 300, 201, 202))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2023, 5, day, hour, minute, tzinfo=PARIS)


def _fire(db: Database, ref: str, event: str, now: dt.datetime) -> None:
    with db.unit_of_work() as uow:
        fire(SqlDossierStore(uow.session), ref, event, STAFF, now=now)
        uow.commit()


def _open_all(db: Database, when: dt.datetime) -> None:
    """The ``open`` audit row ``campaign load`` writes, for every seeded dossier."""
    with db.unit_of_work() as uow:
        ids = list(uow.session.execute(select(DOSSIER.c.id)).scalars())
        entry = Entry("open", "", "invited", "test", "staff", None, when, when, 1)
        insert_audit_rows(uow.session, [(i, entry) for i in ids])
        uow.commit()


@pytest.fixture
def campaign(db: Database) -> Database:
    load_bundled_campaign(db)
    seed_family(db, "F100", [("S101", "Léa"), ("S102", "Hugo")], last_name="Lefèvre")
    seed_family(db, "F300", [("S300", "Zoé")], without=["income_evidence"], last_name="N'Diaye")
    seed_family(db, "F200", [("S201", "Inès"), ("S202", "Awa")], last_name="Martin")
    with db.unit_of_work() as uow:
        dancers = STUDENT.c.ref.in_(["S201", "S202"])
        uow.session.execute(update(STUDENT).where(dancers).values(discipline="danse"))
        uow.commit()
    _open_all(db, at(10, 8))
    for ref in (LEA, INES):
        _fire(db, ref, "verify_identity", at(11, 10))
        _fire(db, ref, "supply_documents", at(12, 10))
    _fire(db, INES, "accept_rules", at(12, 18))  # confirmed automatically
    _fire(db, LEA, "accept_rules", at(13, 0, 30))  # 12 May 22:30 UTC: 13 May in Paris
    _fire(db, HUGO, "withdraw", at(13, 9))
    with db.unit_of_work() as uow:
        extend_deadline(uow.session, AWA, dt.date(2023, 5, 31), actor=STAFF, now=at(14, 9),
                        reason="Famille à l'étranger")  # fmt: skip
        uow.commit()
    return db


def _report(db: Database, now: dt.datetime = NOW) -> Report:
    with db.unit_of_work(read_only=True) as uow:
        return build_report(uow.session, CAMPAIGN, now=now)


def test_counts_dossiers_per_window_and_state_and_the_completion_rate(campaign: Database) -> None:
    report = _report(campaign)

    reenrolment, new_pupils = report.windows
    counts = {s.state: s.dossiers for s in reenrolment.states}
    assert counts == {"invited": 2, "identity_verified": 0, "documents_supplied": 0,
                      "rules_accepted": 0, "confirmed": 2, "withdrawn": 1, "lapsed": 0}  # fmt: skip
    assert (reenrolment.dossiers, reenrolment.succeeded, reenrolment.still_open) == (5, 2, 2)
    assert reenrolment.completion == pytest.approx(0.4)
    assert new_pupils.dossiers == 0
    assert new_pupils.completion is None
    assert (report.dossiers, report.succeeded, report.completion) == (5, 2, pytest.approx(0.4))


def test_completion_by_discipline_and_cycle_uses_the_catalog_labels(campaign: Database) -> None:
    report = _report(campaign)

    by_discipline = {c.label: (c.dossiers, c.succeeded) for c in report.by_discipline}
    assert by_discipline == {"Musique": (3, 1), "Danse": (2, 1)}
    assert [(c.label, c.completion) for c in report.by_cycle] == [("1er cycle", 0.4)]


def test_call_list_sorts_open_dossiers_by_deadline_with_what_they_lack_and_phones(
    campaign: Database,
) -> None:
    calls = _report(campaign).call_list

    assert [(c.ref, c.deadline) for c in calls] == [
        (ZOE, dt.date(2023, 5, 24)),
        (AWA, dt.date(2023, 5, 31)),  # her extension, although her ref sorts first
    ]
    zoe = calls[0]
    assert zoe.student == "Zoé N'Diaye"
    assert zoe.family == "F300"
    assert zoe.lacks == (
        "Prochaine étape : Coordonnées vérifiées ; Justificatif de quotient familial manquant"
    )
    assert [(g.name, g.phone) for g in zoe.guardians] == [
        ("Anne N'Diaye", "06 12 34 56 78"),
        ("Paul N'Diaye", None),
    ]
    assert calls[1].lacks == "Prochaine étape : Coordonnées vérifiées"


def test_deferred_certificate_is_owed_by_dancers_until_a_valid_one_is_supplied(
    campaign: Database,
) -> None:
    owed = _report(campaign).deferred
    assert [(o.ref, o.state, o.requirement, o.due) for o in owed] == [
        (INES, "confirmed", "medical_certificate", dt.date(2023, 9, 30)),
        (AWA, "invited", "medical_certificate", dt.date(2023, 9, 30)),
    ]
    assert owed[0].guardians[0].phone == "06 12 34 56 78"

    in_july = dt.datetime(2023, 7, 15, 10, 0, tzinfo=PARIS)
    _certificate(campaign, "S201", dt.date(2023, 6, 20))  # must be dated from 1 July
    assert [o.ref for o in _report(campaign, in_july).deferred] == [INES, AWA]
    _certificate(campaign, "S201", dt.date(2023, 7, 3))
    assert [o.ref for o in _report(campaign, in_july).deferred] == [AWA]


def _certificate(db: Database, student_ref: str, issued: dt.date) -> None:
    with db.unit_of_work() as uow:
        pupil = uow.session.execute(STUDENT.select().where(STUDENT.c.ref == student_ref)).one()
        uow.session.add(Document(family_id=pupil.family_id, student_id=pupil.id,
                                 kind="medical_certificate", issued=issued))  # fmt: skip
        uow.commit()


def test_outbox_counts_per_event_channel_and_status(campaign: Database) -> None:
    with campaign.unit_of_work() as uow:
        confirmation = OUTBOX.c.event == "confirmation"
        first, second, *_ = uow.session.execute(select(OUTBOX.c.id).where(confirmation)).scalars()
        uow.session.execute(update(OUTBOX).where(OUTBOX.c.id == first).values(status="sent"))
        uow.session.execute(update(OUTBOX).where(OUTBOX.c.id == second).values(status="failed"))
        uow.commit()

    messages = {(m.event, m.channel): m for m in _report(campaign).messages}

    assert set(messages) == {("confirmation", "email"), ("withdrawal", "email")}
    confirmation = messages["confirmation", "email"]
    assert (confirmation.sent, confirmation.failed, confirmation.pending) == (1, 1, 2)
    assert confirmation.total == 4  # two confirmed pupils, two guardians with an email each
    assert messages["withdrawal", "email"].pending == 2


def test_daily_funnel_counts_states_at_the_end_of_each_local_day(campaign: Database) -> None:
    funnel = _report(campaign).funnel

    assert funnel.days == tuple(dt.date(2023, 5, d) for d in range(10, 16))
    (window,) = funnel.windows
    series = {s.state: s.counts for s in window.series}
    assert series["invited"] == (5, 3, 3, 2, 2, 2)
    assert series["identity_verified"] == (0, 2, 0, 0, 0, 0)
    assert series["documents_supplied"] == (0, 0, 1, 0, 0, 0)  # Inès went on the same day
    assert series["confirmed"] == (0, 0, 1, 2, 2, 2)  # Léa's 00:30 step counts on 13 May
    assert series["withdrawn"] == (0, 0, 0, 1, 1, 1)
    last_day = {state: counts[-1] for state, counts in series.items()}
    assert last_day == {s.state: s.dossiers for s in _report(campaign).windows[0].states}


def test_funnel_ignores_what_happens_after_now(campaign: Database) -> None:
    funnel = _report(campaign, now=at(12, 12)).funnel

    assert funnel.days[-1] == dt.date(2023, 5, 12)
    series = {s.state: s.counts[-1] for s in funnel.windows[0].series}
    assert (series["documents_supplied"], series["confirmed"], series["invited"]) == (2, 0, 3)


def test_funnel_days_follow_daylight_saving_time(db: Database) -> None:
    """Rows half an hour after local midnight, in winter (UTC+1) and in summer (UTC+2)."""
    load_bundled_campaign(db)
    seed_family(db, "F1", [("S1", "Léa")])
    winter = dt.datetime(2023, 3, 25, 23, 30, tzinfo=dt.UTC)  # 26 March 00:30 in Paris
    summer = dt.datetime(2023, 3, 26, 22, 30, tzinfo=dt.UTC)  # 27 March 00:30 in Paris
    with db.unit_of_work() as uow:
        (dossier,) = uow.session.execute(select(DOSSIER.c.id)).scalars()
        opened = Entry("open", "", "invited", "test", "staff", None, winter, winter, 1)
        withdrawn = Entry("withdraw", "invited", "withdrawn", "test", "staff", None, summer,
                          summer, 1)  # fmt: skip
        insert_audit_rows(uow.session, [(dossier, opened), (dossier, withdrawn)])
        uow.commit()
        moves = funnel_moves(uow.session, CAMPAIGN, PARIS, summer + dt.timedelta(days=1))

    assert sorted((m.day, m.from_state, m.to_state) for m in moves) == [
        (dt.date(2023, 3, 26), None, "invited"),
        (dt.date(2023, 3, 27), "invited", "withdrawn"),
    ]


@pytest.mark.parametrize("e164", ["+33612345678", "+33712345678", "+262692123456", "+590690001122"])
def test_phones_read_as_the_rules_display_them(e164: str) -> None:
    assert display_phone(e164) == display_fr_mobile(e164)


def test_unknown_campaign_names_the_known_ones(campaign: Database) -> None:
    from dacapo.engine.errors import NotFound

    with campaign.unit_of_work(read_only=True) as uow, pytest.raises(NotFound) as error:
        build_report(uow.session, "malakoff-2022-2023", now=NOW)
    assert "malakoff-2023-2024" in str(error.value)


def test_what_dossiers_lack_is_what_outstanding_says_on_a_varied_corpus(db: Database) -> None:
    """The report's set-based verdict against ``owing``'s (the rules' own), in May and
    the next March (when last spring's photos are too old)."""
    campaign = load_bundled_campaign(db)
    seed_corpus(db)
    for now in (NOW, dt.datetime(2024, 3, 5, 10, 0, tzinfo=PARIS)):
        with db.unit_of_work(read_only=True) as uow:
            found = owing(uow.session, campaign, now=now, confirmed=True)
            expected = {item.dossier_id: (item.missing, item.deferred) for item in found}
            assert lacking_documents(uow.session, campaign, now=now) == expected
        assert len(set(expected.values())) > 8  # the corpus really is varied


def test_a_new_pupils_wish_is_counted_followed_and_called_in_its_own_window(
    db: Database,
) -> None:
    load_bundled_campaign(db)
    june = dt.datetime(2023, 6, 12, 14, 0, tzinfo=PARIS)
    wish = read_wish({
        "site": "malakoff", "window": "new_pupils", "family_ref": "F9",
        "guardians": [split_guardian("Martin;Anne;anne.martin@example.org;07 61 22 33 44")],
        "address": "3 rue Béranger", "postcode": "92240", "city": "Malakoff",
        "student_ref": "N0001", "last_name": "Martin", "first_name": "Chloé",
        "birth_date": "14/03/2017", "discipline": "Musique", "cycle": "eveil",
        "preferences": split_preferences("Violon, Éveil musical"),
    })  # fmt: skip
    with db.unit_of_work() as uow:
        ref = register_wish(uow.session, wish, actor=STAFF, now=june).dossier_ref
        uow.commit()
    _fire(db, ref, "waitlist", june + dt.timedelta(days=2))

    report = _report(db, june + dt.timedelta(days=3))

    new_pupils = report.windows[1]
    assert {s.state: s.dossiers for s in new_pupils.states if s.dossiers} == {"waitlisted": 1}
    (call,) = report.call_list
    assert (call.ref, call.deadline, call.student) == (ref, dt.date(2023, 6, 30), "Chloé Martin")
    assert call.lacks == "Prochaine étape : Place proposée"
    assert call.guardians[0].phone == "07 61 22 33 44"
    (window,) = report.funnel.windows
    series = {s.state: s.counts for s in window.series}
    assert window.window == "new_pupils"
    assert series["wish_registered"] == (1, 1, 0, 0)  # opened by a row registered -> registered
    assert series["waitlisted"] == (0, 0, 1, 1)
