"""Reminders, invitations and the chase of deferred documents: one message per family."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from dacapo.campaigns.schema import Campaign
from dacapo.engine.errors import BadInput, NotFound
from dacapo.notifications.render import RenderedEmail, RenderedSms, Renderer
from dacapo.store.campaign_versions import save_campaign_version
from dacapo.store.database import Database
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.outbox_context import RenderInput, render_inputs
from dacapo.store.sweeps import chase_deferred, send_invitations, send_reminder
from dacapo.store.tables import Answer, Dossier, Family, OutboxRow
from tests.integration.owing_corpus import CARD_2023, PHOTOS, Pupil, add_family
from tests.integration.ready_dossiers import load_bundled_campaign

PARIS = ZoneInfo("Europe/Paris")
WEEK_LEFT = dt.datetime(2023, 5, 17, 10, 0, tzinfo=PARIS)
THREE_DAYS_LEFT = dt.datetime(2023, 5, 21, 18, 0, tzinfo=PARIS)
SEPTEMBER = dt.datetime(2023, 9, 11, 10, 0, tzinfo=PARIS)
CAMPAIGN = "malakoff-2023-2024"
FAMILY_DOCUMENTS = [
    {"kind": "payment_form", "signed": True},
    {"kind": "quotient_card", **CARD_2023},
]
PHOTO = PHOTOS[1]
CERTIFICATE = [{"kind": "medical_certificate", "issued": dt.date(2023, 7, 3)}]


def ref(student: str) -> str:
    return f"malakoff-2023-2024-{student}"


@pytest.fixture
def db_world(db: Database) -> Database:
    load_bundled_campaign(db)
    with db.unit_of_work() as uow:
        s = uow.session
        add_family(
            s,
            "F-OPEN",  # nothing sent yet; Paul's number is a landline
            [Pupil("Zoé"), Pupil("Léo", state="confirmed"), Pupil("Inès", state="identity_verified",
                                                                   documents=PHOTO)],
            [],
            [("Anne", "anne@example.org", "+33612345678"),
             ("Paul", "paul@example.org", "0146000000")],
        )  # fmt: skip
        add_family(
            s,
            "F-DONE",
            [Pupil("Awa", state="confirmed", documents=PHOTO), Pupil("Théo", state="withdrawn")],
            FAMILY_DOCUMENTS,
        )
        add_family(s, "F-COMPLETE", [Pupil("Chloé", documents=PHOTO)], FAMILY_DOCUMENTS)
        add_family(s, "F-HALF", [Pupil("Maël", documents=PHOTO), Pupil("Anaïs")], FAMILY_DOCUMENTS)
        add_family(s, "F-LATE", [Pupil("João", deadline=dt.date(2023, 6, 15))], [])
        add_family(
            s,
            "F-ADULT",  # the same address twice, in two spellings; an adult pupil's own
            [Pupil("Raphaël", birth_date=dt.date(2001, 2, 3), email="raphael@example.org",
                   mobile="+33798765432")],
            [],
            [("Marie", "Marie.Dupont@example.org", None),
             ("Luc", "marie.dupont@example.org", None)],
        )  # fmt: skip
        add_family(
            s,
            "F-DANCE",
            [
                Pupil("Lina", "danse", "confirmed", documents=PHOTO),
                Pupil("Sofia", "danse", "confirmed", documents=PHOTO + CERTIFICATE),
            ],
            FAMILY_DOCUMENTS,
        )
        uow.commit()
    return db


def queued(db: Database, event: str) -> dict[str, list[OutboxRow]]:
    """The outbox rows of ``event`` by family ref."""
    with db.unit_of_work(read_only=True) as uow:
        rows = uow.session.exec(
            select(OutboxRow, Family.ref)
            .join(Family, col(Family.id) == OutboxRow.family_id)
            .where(OutboxRow.event == event)
            .order_by(col(OutboxRow.id))
        ).all()
    found: dict[str, list[OutboxRow]] = {}
    for row, family in rows:
        found.setdefault(family, []).append(row)
    return found


def to(rows: list[OutboxRow]) -> set[tuple[str, str]]:
    return {(r.channel, r.recipient) for r in rows}


def test_a_reminder_goes_once_per_family_and_address_listing_its_open_pupils(
    db_world: Database,
) -> None:
    outcome = send_reminder(db_world, CAMPAIGN, "one_week_left", now=WEEK_LEFT)
    rows = queued(db_world, "reminder")
    assert set(rows) == {"F-OPEN", "F-COMPLETE", "F-HALF", "F-ADULT"}  # done, extended: nothing
    assert to(rows["F-OPEN"]) == {("email", "anne@example.org"), ("email", "paul@example.org")}
    assert to(rows["F-ADULT"]) == {("email", "Marie.Dupont@example.org"),
                                   ("email", "raphael@example.org")}  # fmt: skip
    anne = rows["F-OPEN"][0]
    assert anne.context == {
        "reminder": "one_week_left",
        "dossiers": [ref("F-OPEN-S1"), ref("F-OPEN-S3")],  # Léo is confirmed
    }
    assert anne.dossier_id is None
    assert (anne.template, anne.status, anne.next_attempt_at) == ("reminder", "pending", WEEK_LEFT)
    assert anne.idempotency_key == (
        f"reminder:{CAMPAIGN}:one_week_left:family:{anne.family_id}:email:anne@example.org"
    )
    assert rows["F-HALF"][0].context["dossiers"] == [ref("F-HALF-S1"), ref("F-HALF-S2")]
    assert (outcome.families, outcome.pupils, outcome.queued, outcome.skipped) == (4, 6, 6, 0)
    again = send_reminder(db_world, CAMPAIGN, "one_week_left", now=WEEK_LEFT + dt.timedelta(days=1))
    assert (again.families, again.queued, again.skipped) == (4, 0, 6)
    assert sum(len(r) for r in queued(db_world, "reminder").values()) == 6
    assert "0 messages queued for 4 families (6 already queued)" in again.summary()


def test_a_missing_list_keeps_only_pupils_lacking_those_items_and_sms_go_to_mobiles(
    db_world: Database,
) -> None:
    outcome = send_reminder(db_world, CAMPAIGN, "documents_missing", now=THREE_DAYS_LEFT)
    rows = queued(db_world, "reminder")
    assert set(rows) == {"F-OPEN", "F-HALF", "F-ADULT"}  # F-COMPLETE lacks no document
    assert rows["F-HALF"][0].context["dossiers"] == [ref("F-HALF-S2")]  # Anaïs has no photo
    assert to(rows["F-OPEN"]) == {
        ("email", "anne@example.org"),
        ("email", "paul@example.org"),
        ("sms", "+33612345678"),  # Paul's landline is no SMS number
    }
    assert ("sms", "+33798765432") in to(rows["F-ADULT"])  # the adult pupil's own mobile
    assert outcome.queued == sum(len(r) for r in rows.values())
    assert outcome.unreachable == 0


def render(db: Database, row: OutboxRow) -> RenderedEmail | RenderedSms:
    with db.unit_of_work(read_only=True) as uow:
        found = render_inputs(uow.session, [row], THREE_DAYS_LEFT)[row.id or 0]
    assert isinstance(found, RenderInput), found
    channel = "email" if row.channel == "email" else "sms"
    return Renderer().render(row.template, channel, found.variables)  # type: ignore[call-overload, no-any-return]


def test_the_reminder_reads_each_pupils_missing_items_in_french(db_world: Database) -> None:
    send_reminder(db_world, CAMPAIGN, "documents_missing", now=THREE_DAYS_LEFT)
    rows = queued(db_world, "reminder")["F-OPEN"]
    email = render(db_world, next(r for r in rows if r.recipient == "anne@example.org"))
    assert isinstance(email, RenderedEmail)
    text = email.text
    assert text.startswith("Bonjour Anne Martin,")
    zoe, ines = text.index("Pour Zoé Martin"), text.index("Pour Inès Martin")
    assert zoe < text.index("Photo d'identité récente de l'élève manquante (Zoé Martin)") < ines
    assert "Formulaire de modalité de paiement complété et signé manquant" in text
    assert "Léo" not in text  # confirmed: not concerned
    assert "mercredi 24 mai 2023 à 23 h 59" in text
    sms = render(db_world, next(r for r in rows if r.channel == "sms"))
    assert isinstance(sms, RenderedSms)
    assert "Zoé et Inès" in sms.text


def test_invitations_go_to_families_with_invited_pupils_and_new_pupils_get_theirs(
    db_world: Database,
) -> None:
    nobody = send_invitations(db_world, CAMPAIGN, "new_pupils", now=SEPTEMBER)
    assert nobody.queued == 0
    assert "no family has a dossier to invite in window 'new_pupils'" in nobody.summary()
    outcome = send_invitations(db_world, CAMPAIGN, "reenrolment", now=WEEK_LEFT)
    rows = queued(db_world, "invitation")
    assert set(rows) == {"F-OPEN", "F-COMPLETE", "F-HALF", "F-LATE", "F-ADULT"}
    assert rows["F-OPEN"][0].context == {"window": "reenrolment", "dossiers": [ref("F-OPEN-S1")]}
    assert rows["F-OPEN"][0].idempotency_key.startswith(
        f"invitation:{CAMPAIGN}:reenrolment:family:"
    )
    assert outcome.queued == sum(len(r) for r in rows.values())
    with db_world.unit_of_work() as uow:
        add_family(uow.session, "F-NEW", [Pupil("Lou", state="wish_registered", new=True)], [])
        uow.commit()
    assert send_invitations(db_world, CAMPAIGN, "new_pupils", now=WEEK_LEFT).queued == 1
    new = queued(db_world, "new_pupil_window")["F-NEW"][0]
    assert (new.template, new.context["dossiers"]) == ("new_pupil_window", [ref("F-NEW-S1")])


def test_the_dance_certificate_is_chased_for_pupils_who_still_owe_it(db_world: Database) -> None:
    outcome = chase_deferred(db_world, CAMPAIGN, "medical_certificate", now=SEPTEMBER)
    rows = queued(db_world, "deferred_documents")
    assert set(rows) == {"F-DANCE"}
    assert to(rows["F-DANCE"]) == {("email", "f-dance@example.org")}
    row = rows["F-DANCE"][0]
    assert row.context["dossiers"] == [ref("F-DANCE-S1")]  # Sofia handed hers in
    assert row.template == "deferred_documents"
    assert outcome.queued == 1
    email = render(db_world, row)
    assert isinstance(email, RenderedEmail)
    assert "Certificat médical de non-contre-indication à la pratique de la danse" in email.subject
    assert "à remettre au premier cours en septembre" in email.text
    assert "Lina Martin" in email.text
    assert "Sofia" not in email.text
    assert chase_deferred(db_world, CAMPAIGN, "medical_certificate", now=SEPTEMBER).skipped == 1


def test_a_missing_item_other_than_a_document_is_read_from_the_whole_checklist(
    db_world: Database,
) -> None:
    with db_world.unit_of_work() as uow:
        latest = SqlDossierStore(uow.session).campaign(CAMPAIGN, 1)
        data = latest.model_dump(mode="json", by_alias=True)
        data["reminders"].append(
            {"id": "box_not_ticked", "window": "reenrolment", "days_before_close": 5,
             "at": "10:00", "missing": ["intent", "id_photo"], "channels": ["email"],
             "template": "reminder"}
        )  # fmt: skip
        changed = Campaign.model_validate(data)
        save_campaign_version(uow.session, changed, source_text="", sha256="1" * 64,
                              loaded_by="test", loaded_at=WEEK_LEFT)  # fmt: skip
        answer = uow.session.exec(
            select(Answer).join(Dossier, col(Dossier.id) == Answer.dossier_id)
            .where(Dossier.ref == ref("F-COMPLETE-S1"))
        ).one()  # fmt: skip
        answer.intent = None
        uow.commit()
    send_reminder(db_world, CAMPAIGN, "box_not_ticked", now=WEEK_LEFT)
    rows = queued(db_world, "reminder")
    assert rows["F-COMPLETE"][0].context["dossiers"] == [ref("F-COMPLETE-S1")]  # the box
    assert rows["F-HALF"][0].context["dossiers"] == [ref("F-HALF-S2")]  # the photo
    assert set(rows) == {"F-COMPLETE", "F-HALF", "F-OPEN", "F-ADULT"}


def test_unknown_names_are_refused_naming_what_exists(db_world: Database) -> None:
    with pytest.raises(NotFound, match="reminders: one_week_left, documents_missing, last_day"):
        send_reminder(db_world, CAMPAIGN, "one_week", now=WEEK_LEFT)
    with pytest.raises(NotFound, match="its windows: reenrolment, new_pupils"):
        send_invitations(db_world, CAMPAIGN, "june", now=WEEK_LEFT)
    with pytest.raises(BadInput, match="'payment_form' is not a deferred requirement"):
        chase_deferred(db_world, CAMPAIGN, "payment_form", now=SEPTEMBER)
    with pytest.raises(NotFound, match="No campaign 'elsewhere'"):
        send_reminder(db_world, "elsewhere", "one_week_left", now=WEEK_LEFT)
