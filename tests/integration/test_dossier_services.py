"""The dossier services on SQLite and PostgreSQL: fire in a unit of work, and corrections.

Listing and searching dossiers: ``test_dossier_lists.py``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, func, select

from dacapo.campaigns.schema import Role
from dacapo.engine.errors import BadInput, ConcurrentUpdate, GuardFailed
from dacapo.engine.services import fire
from dacapo.rules.snapshot import Actor
from dacapo.store.corrections import extend_deadline, record_answers, update_fields
from dacapo.store.database import Database
from dacapo.store.dossiers import get_dossier
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.tables import AuditRow, Guardian, OutboxRow
from tests.integration.ready_dossiers import load_bundled_campaign, seed_family

PARIS = ZoneInfo("Europe/Paris")
OPEN = dt.datetime(2023, 5, 15, 10, 0, tzinfo=PARIS)
CLOSED = dt.datetime(2023, 5, 25, 0, 0, tzinfo=PARIS)
STAFF = Actor(Role.STAFF, "secretariat")
ANNE = Actor(Role.GUARDIAN, "f0100.anne@example.org")
STEPS = ["verify_identity", "supply_documents", "accept_rules"]


@pytest.fixture
def refs(db: Database) -> list[str]:
    load_bundled_campaign(db)
    return seed_family(db)


def _state(db: Database, ref: str) -> tuple[str, int, int, int]:
    """State, version, audit rows and outbox rows of a dossier."""
    with db.unit_of_work(read_only=True) as uow:
        dossier = get_dossier(uow.session, ref)
        audits = uow.session.exec(
            select(func.count()).where(col(AuditRow.dossier_id) == dossier.id)
        ).one()
        messages = uow.session.exec(
            select(func.count()).where(col(OutboxRow.dossier_id) == dossier.id)
        ).one()
        return dossier.state, dossier.version, audits, messages


def _count_in(session: Session, table: type[OutboxRow], ref: str) -> int:
    dossier = get_dossier(session, ref)
    return session.exec(select(func.count()).where(col(table.dossier_id) == dossier.id)).one()


# Firing through SqlDossierStore


def test_fire_walks_invited_to_confirmed_with_audit_rows_and_a_confirmation_per_guardian(
    db: Database, refs: list[str]
) -> None:
    for event in STEPS:
        with db.unit_of_work() as uow:
            outcome = fire(SqlDossierStore(uow.session), refs[0], event, ANNE, now=OPEN)
            uow.commit()
    assert [(s.event, s.to_state) for s in outcome.steps] == [
        ("accept_rules", "rules_accepted"),
        ("confirm", "confirmed"),
    ]
    with db.unit_of_work(read_only=True) as uow:
        dossier = get_dossier(uow.session, refs[0])
        rows = uow.session.exec(
            select(AuditRow).where(AuditRow.dossier_id == dossier.id).order_by(col(AuditRow.seq))
        ).all()
        outbox = uow.session.exec(select(OutboxRow).where(OutboxRow.dossier_id == dossier.id)).all()
    assert (dossier.state, dossier.house_rules_version) == ("confirmed", "2023")
    assert [(r.seq, r.event, r.from_state, r.to_state, r.role) for r in rows] == [
        (1, "verify_identity", "invited", "identity_verified", "guardian"),
        (2, "supply_documents", "identity_verified", "documents_supplied", "guardian"),
        (3, "accept_rules", "documents_supplied", "rules_accepted", "guardian"),
        (4, "confirm", "rules_accepted", "confirmed", "system"),
    ]
    assert all(r.effective_at == OPEN for r in rows)
    assert sorted((m.event, m.channel, m.recipient) for m in outbox) == [
        ("confirmation", "email", "f0100.anne@example.org"),
        ("confirmation", "email", "f0100.paul@example.org"),
    ]


def test_a_failure_after_fire_before_commit_leaves_state_audit_and_outbox_untouched(
    db: Database, refs: list[str]
) -> None:
    for event in STEPS[:2]:
        with db.unit_of_work() as uow:
            fire(SqlDossierStore(uow.session), refs[0], event, STAFF, now=OPEN)
            uow.commit()
    before = _state(db, refs[0])

    def accept_then_crash() -> None:
        with db.unit_of_work() as uow:
            outcome = fire(SqlDossierStore(uow.session), refs[0], "accept_rules", STAFF, now=OPEN)
            assert _count_in(uow.session, OutboxRow, outcome.ref) == 2  # written, not committed
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        accept_then_crash()
    assert _state(db, refs[0]) == before == ("documents_supplied", 3, 2, 0)


def test_a_refused_event_lists_every_french_reason_and_writes_nothing(db: Database) -> None:
    load_bundled_campaign(db)
    ref = seed_family(db, without={"payment_form", "id_photo"})[0]
    with db.unit_of_work() as uow:
        fire(SqlDossierStore(uow.session), ref, "verify_identity", STAFF, now=OPEN)
        uow.commit()
    with pytest.raises(GuardFailed) as refused, db.unit_of_work() as uow:
        fire(SqlDossierStore(uow.session), ref, "supply_documents", STAFF, now=OPEN)
    assert refused.value.codes == ["documents.missing:payment_form", "documents.missing:id_photo"]
    assert "Formulaire de modalité de paiement complété et signé manquant" in str(refused.value)
    assert _state(db, ref) == ("identity_verified", 2, 1, 0)


# Corrections: update


def test_update_refuses_a_mobile_with_a_word_after_the_digits(
    db: Database, refs: list[str]
) -> None:
    with pytest.raises(BadInput) as refused, db.unit_of_work() as uow:
        update_fields(
            uow.session, refs[0], ["guardian1.mobile=06 12 34 56 78 mère"], actor=STAFF, now=OPEN
        )
    assert str(refused.value) == (
        "guardian1.mobile: Numéro SMS : uniquement les 10 chiffres du mobile — "
        "« 06 12 34 56 78 mère » n'est pas un numéro de mobile"
    )
    assert _state(db, refs[0]) == ("invited", 1, 0, 0)


def test_update_stores_e164_bumps_the_version_and_audits_each_change(
    db: Database, refs: list[str]
) -> None:
    with db.unit_of_work() as uow:
        done = update_fields(
            uow.session,
            refs[0],
            ["guardian1.mobile=06 98 76 54 32", "family.city=Malakoff", "student.school=Lycée"],
            actor=STAFF,
            now=OPEN,
            reason="appel de la mère",
        )
        uow.commit()
    assert done.audit_seq == 1
    assert done.version == 2
    with db.unit_of_work(read_only=True) as uow:
        dossier = get_dossier(uow.session, refs[0])
        row = uow.session.exec(select(AuditRow).where(AuditRow.dossier_id == dossier.id)).one()
        mobile = uow.session.exec(select(Guardian.mobile).where(Guardian.position == 1)).one()
    assert mobile == "+33698765432"
    assert (row.event, row.from_state, row.to_state, row.actor) == (
        "update",
        "invited",
        "invited",
        "secretariat",
    )
    assert row.reason == (
        "guardian1.mobile: +33612345678 → +33698765432; student.school: Collège Paul Bert → Lycée"
        " — appel de la mère"
    )


def test_an_update_makes_a_fire_that_read_the_dossier_before_conflict(
    db: Database, refs: list[str]
) -> None:
    with db.unit_of_work() as uow:
        update_fields(
            uow.session, refs[0], ["guardian2.mobile=06 98 76 54 32"], actor=ANNE, now=OPEN
        )
        uow.commit()
    with pytest.raises(ConcurrentUpdate), db.unit_of_work() as uow:
        fire(
            SqlDossierStore(uow.session),
            refs[0],
            "verify_identity",
            STAFF,
            now=OPEN,
            expected_version=1,
        )


def test_update_checks_fields_dates_vocabularies_and_required_values_all_at_once(
    db: Database, refs: list[str]
) -> None:
    wrong = [
        "guardian.email=x@example.org",
        "student.birth_date=2012-3-4",
        "student.cycle=solfège",
        "family.postcode=",
        "student.school_level",
    ]
    with pytest.raises(BadInput) as refused, db.unit_of_work() as uow:
        update_fields(uow.session, refs[0], wrong, actor=STAFF, now=OPEN)
    lines = str(refused.value).splitlines()
    assert lines[0].startswith("Unknown field 'guardian.email'; correctable fields: ")
    assert lines[1:] == [
        "student.birth_date: Date de naissance invalide : « 2012-3-4 » (JJ/MM/AAAA ou AAAA-MM-JJ)",
        "student.cycle: valeur inconnue « solfège » (au choix : eveil, initiation, cycle_1, "
        "cycle_2, cycle_3, adulte)",
        "family.postcode: Code postal est obligatoire : il ne peut pas être vidé",
        "--set 'student.school_level': write FIELD=VALUE",
    ]


def test_update_reads_french_dates_and_vocabulary_labels(db: Database, refs: list[str]) -> None:
    with db.unit_of_work() as uow:
        done = update_fields(
            uow.session,
            refs[0],
            ["student.birth_date=14/03/2018", "student.cycle=Éveil", "guardian3.email=g@ex.org"],
            actor=STAFF,
            now=OPEN,
        )
        uow.commit()
    assert [str(c) for c in done.changes] == [
        "student.birth_date: 2012-03-04 → 2018-03-14",
        "student.cycle: cycle_1 → eveil",
        "guardian3.email: (none) → g@ex.org",
    ]


def test_after_the_window_staff_need_a_reason_and_families_are_refused(
    db: Database, refs: list[str]
) -> None:
    change = ["family.address=2 rue de la Gare"]
    for actor, reason in [(STAFF, None), (ANNE, "retard")]:
        closed = "est close depuis le 25/05/2023 à 00:00"
        with pytest.raises(GuardFailed, match=closed), db.unit_of_work() as uow:
            update_fields(uow.session, refs[0], change, actor=actor, now=CLOSED, reason=reason)
    with db.unit_of_work() as uow:
        done = update_fields(
            uow.session, refs[0], change, actor=STAFF, now=CLOSED, reason="courrier"
        )
        uow.commit()
    assert done.audit_seq == 1


def test_a_guardian_of_another_family_may_not_update(db: Database, refs: list[str]) -> None:
    stranger = Actor(Role.GUARDIAN, "someone@example.org")
    refused = "n'est pas responsable de cette famille"
    with pytest.raises(GuardFailed, match=refused), db.unit_of_work() as uow:
        update_fields(uow.session, refs[0], ["family.city=Paris"], actor=stranger, now=OPEN)


# Corrections: answers and extensions


def test_answer_matches_preferences_to_the_campaign_labels(db: Database, refs: list[str]) -> None:
    with db.unit_of_work() as uow:
        done = record_answers(
            uow.session, refs[0], preferences="violon, EVEIL MUSICAL", actor=ANNE, now=OPEN
        )
        uow.commit()
    assert [str(c) for c in done.changes] == ["answers.preferences: (none) → Violon, Éveil musical"]
    unknown = "choix inconnu « tuba »; au choix : Éveil musical, "
    with pytest.raises(BadInput, match=unknown), db.unit_of_work() as uow:
        record_answers(uow.session, refs[0], preferences="tuba,piano", actor=ANNE, now=OPEN)
    with pytest.raises(BadInput, match="au plus 2000 caractères"), db.unit_of_work() as uow:
        record_answers(uow.session, refs[0], remarks="x" * 2001, actor=ANNE, now=OPEN)


def test_an_answer_that_changes_nothing_writes_no_audit_row(db: Database, refs: list[str]) -> None:
    with db.unit_of_work() as uow:
        done = record_answers(uow.session, refs[0], intent="oui", actor=ANNE, now=OPEN)
        uow.commit()
    assert (done.audit_seq, done.version) == (None, 1)


def test_an_extension_opens_the_window_for_one_dossier_only(db: Database, refs: list[str]) -> None:
    with pytest.raises(BadInput, match="before the window's close"), db.unit_of_work() as uow:
        extend_deadline(
            uow.session, refs[0], dt.date(2023, 5, 20), actor=STAFF, now=CLOSED, reason="x"
        )
    with db.unit_of_work() as uow:
        done = extend_deadline(
            uow.session, refs[0], dt.date(2023, 5, 31), actor=STAFF, now=CLOSED, reason="malade"
        )
        uow.commit()
    assert [str(c) for c in done.changes] == ["deadline: (none) → 2023-05-31"]
    with db.unit_of_work() as uow:
        fire(SqlDossierStore(uow.session), refs[0], "verify_identity", ANNE, now=CLOSED)
        uow.commit()
    with pytest.raises(GuardFailed, match="est close"), db.unit_of_work() as uow:
        fire(SqlDossierStore(uow.session), refs[1], "verify_identity", ANNE, now=CLOSED)
