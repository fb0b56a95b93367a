"""What queued messages are rendered with: rows about the same dossiers share one
context, yet each is addressed to its own recipient and keeps its own details."""

from __future__ import annotations

import datetime as dt

from dacapo.notifications.model import GuardianInfo, PupilInfo
from dacapo.store.database import Database
from dacapo.store.dossiers import get_dossier
from dacapo.store.outbox_context import RenderInput, render_inputs
from dacapo.store.tables import OutboxRow
from tests.integration.ready_dossiers import load_bundled_campaign, seed_family

NOW = dt.datetime(2023, 5, 15, 8, 0, tzinfo=dt.UTC)


def queue(db: Database, *rows: tuple[str, str, str, dict[str, str]]) -> list[OutboxRow]:
    """Léa Durand's dossier, and one row per (template, channel, recipient, context)."""
    load_bundled_campaign(db)
    [ref] = seed_family(db, pupils=[("S0100", "Léa")])
    with db.unit_of_work() as uow:
        dossier = get_dossier(uow.session, ref)
        queued = [
            OutboxRow(
                idempotency_key=f"{template}:{channel}:{recipient}:{n}",
                dossier_id=dossier.id,
                event=template,
                channel=channel,
                recipient=recipient,
                template=template,
                context={"dossier": ref, **context},
                next_attempt_at=NOW,
                created_at=NOW,
            )
            for n, (template, channel, recipient, context) in enumerate(rows)
        ]
        uow.session.add_all(queued)
        uow.commit()
        for row in queued:
            uow.session.refresh(row)
        uow.session.expunge_all()
    return queued


def variables(db: Database, rows: list[OutboxRow]) -> list[dict[str, object]]:
    with db.unit_of_work(read_only=True) as uow:
        inputs = render_inputs(uow.session, rows, NOW)
    found = [inputs[row.id or 0] for row in rows]
    assert all(isinstance(source, RenderInput) for source in found), found
    return [source.variables for source in found if isinstance(source, RenderInput)]


def guardian(context: dict[str, object]) -> GuardianInfo:
    value = context["guardian"]
    assert isinstance(value, GuardianInfo)
    return value


def test_each_row_about_one_dossier_addresses_its_own_guardian(db: Database) -> None:
    rows = queue(
        db,
        ("confirmation", "email", "f0100.anne@example.org", {}),
        ("confirmation", "email", "f0100.paul@example.org", {}),
        ("confirmation", "sms", "+33612345678", {}),
        ("confirmation", "email", "someone.else@example.org", {}),
    )

    anne, paul, anne_by_sms, stranger = variables(db, rows)

    assert [guardian(c).name for c in (anne, paul, anne_by_sms, stranger)] == [
        "Anne Durand",
        "Paul Durand",
        "Anne Durand",
        "Madame, Monsieur",
    ]
    assert guardian(paul).email == "f0100.paul@example.org"
    assert guardian(stranger).email == "someone.else@example.org"
    for context in (anne, paul, anne_by_sms, stranger):
        pupils = context["pupils"]
        assert isinstance(pupils, list)
        assert [p.name for p in pupils if isinstance(p, PupilInfo)] == ["Léa Durand"]
        assert context["family"] is anne["family"]  # built once, shared


def test_rows_with_different_details_do_not_share_them(db: Database) -> None:
    rows = queue(
        db,
        ("document_rejected", "email", "f0100.anne@example.org",
         {"reason": "Photo floue", "document": "Photo d'identité"}),
        ("document_rejected", "email", "f0100.anne@example.org",
         {"reason": "Carte expirée", "document": "Carte Quotient Familial"}),
        ("confirmation", "email", "f0100.anne@example.org", {}),
    )  # fmt: skip

    photo, card, confirmation = variables(db, rows)

    assert (photo["reason"], photo["document"]) == ("Photo floue", "Photo d'identité")
    assert (card["reason"], card["document"]) == ("Carte expirée", "Carte Quotient Familial")
    assert (confirmation["reason"], confirmation["document"]) == (None, None)
    assert guardian(photo).name == guardian(card).name == "Anne Durand"
