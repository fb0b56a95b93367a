"""Evidence added at the desk and reviewed by staff, on a real database and store folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from dacapo.campaigns.schema import Role
from dacapo.engine.errors import BadInput, DacapoError, FileRefused, GuardFailed, NotFound
from dacapo.rules.findings import Status
from dacapo.rules.snapshot import Actor
from dacapo.store.audit import verify_audit
from dacapo.store.database import Database
from dacapo.store.documents import Owner
from dacapo.store.reviews import review_document
from dacapo.store.tables import Document, OutboxRow
from tests.integration.desk import (
    CLAIRE,
    NOW,
    PHOTO,
    QUOTIENT,
    SIGNED,
    STAFF,
    add,
    audit_events,
    checklist_of,
    counts,
    family,
    findings,
    listing,
    review,
    seed_bare_family,
    state,
    supplied,
)
from tests.integration.malakoff import load_bundled_campaign
from tests.unit.files.samples import jpeg, pdf, png


@pytest.fixture
def refs(db: Database) -> list[str]:
    load_bundled_campaign(db)
    return seed_bare_family(db)


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "data" / "documents"


# Adding documents


def test_a_family_document_then_a_pupils_photo_show_in_the_checklist(
    db: Database, refs: list[str], store_dir: Path
) -> None:
    form = add(db, store_dir, "payment_form", pdf(), family(), SIGNED, name="modalités.pdf")
    photo = add(db, store_dir, "id_photo", jpeg(), Owner(dossier_ref=refs[0]), PHOTO)
    assert (form.student_ref, photo.student_ref) == (None, "F1-S1")
    first, second = findings(db, refs[0]), findings(db, refs[1])
    assert first["payment_form"] is Status.MET
    assert first["id_photo"] is Status.MET
    assert first["income_evidence"] is Status.UNMET
    assert (second["payment_form"], second["id_photo"]) == (Status.MET, Status.UNMET)
    with db.unit_of_work(read_only=True) as uow:
        row = uow.session.get_one(Document, photo.id)
    assert (row.status, row.sha256, row.media_type) == ("pending", photo.file.sha256, "image/jpeg")
    assert (row.issued, row.received_at, row.original_name) == (PHOTO.issued, NOW, "scan.pdf")


def test_a_family_document_satisfies_both_siblings_and_shows_in_both_trails(
    db: Database, refs: list[str], store_dir: Path
) -> None:
    added = add(db, store_dir, "quotient_card", pdf(), Owner(dossier_ref=refs[1]), QUOTIENT)
    assert (added.family_ref, added.student_ref) == ("F1", None)
    assert set(added.audited) == set(refs)
    for ref in refs:
        assert findings(db, ref)["income_evidence"] is Status.MET
        [(event, before, after, reason)] = audit_events(db, ref)
        assert (event, before, after) == ("document_added", "invited", "invited")
        assert reason == f"quotient_card: scan.pdf (sha256 {added.file.sha256[:12]}…)"
    with db.unit_of_work(read_only=True) as uow:
        assert verify_audit(uow.session) is None


def test_a_pupils_photo_is_audited_on_that_pupils_dossier_only(
    db: Database, refs: list[str], store_dir: Path
) -> None:
    add(db, store_dir, "id_photo", png(), Owner(dossier_ref=refs[0]), PHOTO, name="zoé.png")
    assert [e[0] for e in audit_events(db, refs[0])] == ["document_added"]
    assert audit_events(db, refs[1]) == []


def test_identical_files_are_stored_once_on_disk_but_recorded_twice(
    db: Database, refs: list[str], store_dir: Path
) -> None:
    first = add(db, store_dir, "payment_form", pdf(), family(), SIGNED)
    second = add(db, store_dir, "payment_form", pdf(), family(), SIGNED, name="again.pdf")
    assert first.id != second.id
    assert first.file.sha256 == second.file.sha256
    assert (first.file.already_present, second.file.already_present) == (False, True)
    assert [p for p in listing(store_dir) if p.is_file()] == [first.file.path]
    assert counts(db)[0] == 2


def test_an_unknown_kind_is_refused_with_the_kinds_and_a_suggestion(
    db: Database, refs: list[str], store_dir: Path
) -> None:
    with pytest.raises(BadInput, match="did you mean 'id_photo'") as error:
        add(db, store_dir, "id_photo_", jpeg(), Owner(dossier_ref=refs[0]))
    assert "payment_form, quotient_card, tax_notice, id_photo, medical_certificate" in str(
        error.value
    )
    assert counts(db) == (0, 0, 0)
    assert listing(store_dir) == []


def test_a_pupils_document_needs_a_dossier(db: Database, refs: list[str], store_dir: Path) -> None:
    with pytest.raises(BadInput, match="--dossier"):
        add(db, store_dir, "id_photo", jpeg(), family())
    assert listing(store_dir) == []


def test_an_unknown_family_or_dossier_is_not_found(
    db: Database, refs: list[str], store_dir: Path
) -> None:
    with pytest.raises(NotFound, match="F9"):
        add(db, store_dir, "payment_form", pdf(), family("F9"))
    with pytest.raises(NotFound, match="S9"):
        add(db, store_dir, "id_photo", jpeg(), Owner(dossier_ref="malakoff-2023-2024-S9"))


def test_a_guardian_adds_to_their_family_only(
    db: Database, refs: list[str], store_dir: Path
) -> None:
    add(db, store_dir, "payment_form", pdf(), family(), SIGNED, actor=CLAIRE)
    stranger = Actor(Role.GUARDIAN, "stranger@example.org")
    with pytest.raises(GuardFailed, match="n'est pas responsable de la famille F1"):
        add(db, store_dir, "payment_form", pdf(), family(), SIGNED, actor=stranger)
    assert counts(db)[0] == 1


HOSTILE = {
    "an exe renamed pdf": (b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00", "facture.pdf", "Windows"),
    "an svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "photo.svg", "SVG"),
    "an empty file": (b"", "vide.pdf", "empty file"),
    "a file over the limit": (pdf(b"<< /Length 0 >>") + b" " * 2048, "gros.pdf", "limit"),
}


@pytest.mark.parametrize(("content", "name", "said"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_upload_is_refused_and_nothing_is_written(
    db: Database, refs: list[str], store_dir: Path, content: bytes, name: str, said: str
) -> None:
    add(db, store_dir, "payment_form", pdf(), family(), SIGNED)  # something already there
    before, files = counts(db), listing(store_dir)
    with pytest.raises(FileRefused) as refused:
        add(db, store_dir, "quotient_card", content, family(), QUOTIENT, name=name, max_bytes=1024)
    assert str(refused.value).startswith(f"{name}: refused: ")
    assert said.casefold() in str(refused.value).casefold()
    assert counts(db) == before
    assert listing(store_dir) == files


HOSTILE_NAMES = {
    "traversal": ("../../etc/passwd", "../../etc/passwd", "a '..' path component"),
    "rtl-override": ("photo\u202egpj.exe", "photo\\u202egpj.exe", "bidirectional control"),
    "escape-sequence": ("\x1b[2Jscan.pdf", "\\u001b[2Jscan.pdf", "a control character"),
    "windows-device": ("CON.pdf", "CON.pdf", "a Windows reserved device name"),
}


@pytest.mark.parametrize(("name", "quoted", "why"), HOSTILE_NAMES.values(), ids=HOSTILE_NAMES)
def test_a_hostile_name_is_refused_and_nothing_is_written(
    db: Database, refs: list[str], store_dir: Path, name: str, quoted: str, why: str
) -> None:
    add(db, store_dir, "payment_form", pdf(), family(), SIGNED)  # something already there
    before, files = counts(db), listing(store_dir)
    with pytest.raises(FileRefused) as refused:
        add(db, store_dir, "quotient_card", pdf(b"<< >>"), family(), QUOTIENT, name=name)
    assert str(refused.value).startswith(f"{quoted}: refused: its name ")
    assert why in str(refused.value)
    assert str(refused.value).endswith("; rename the file, then add it again")
    assert counts(db) == before
    assert listing(store_dir) == files


def test_a_full_path_from_a_legacy_browser_is_shown_by_its_file_name(
    db: Database, refs: list[str], store_dir: Path
) -> None:
    name = "C:\\Users\\Léa\\Documents\\avis 2022.pdf"
    added = add(db, store_dir, "payment_form", pdf(), family(), SIGNED, name=name)
    digest = added.file.sha256
    assert added.file.path == store_dir / digest[:2] / digest[2:4] / f"{digest}.pdf"
    assert [p for p in listing(store_dir) if p.is_file()] == [added.file.path]
    with db.unit_of_work(read_only=True) as uow:
        assert uow.session.get_one(Document, added.id).original_name == "avis 2022.pdf"
    *_, (event, _, _, reason) = audit_events(db, refs[0])
    assert event == "document_added"
    assert (reason or "").startswith("payment_form: avis 2022.pdf (sha256 ")


# Reviewing documents


def test_rejecting_a_photo_sends_the_dossier_back_and_queues_the_notice(
    db: Database, refs: list[str], store_dir: Path
) -> None:
    photo = supplied(db, store_dir, refs)
    assert state(db, refs[0]) == "documents_supplied"
    result = review(db, photo, "reject", "Photo floue")
    [effect] = result.effects
    assert (effect.event, effect.from_state, effect.to_state) == (
        "reject_documents",
        "documents_supplied",
        "identity_verified",
    )
    assert effect.messages == 2  # an email and an SMS to Claire
    assert state(db, refs[0]) == "identity_verified"
    with db.unit_of_work(read_only=True) as uow:
        document = uow.session.get_one(Document, photo)
        outbox = uow.session.exec(select(OutboxRow)).all()
        assert verify_audit(uow.session) is None
    assert (document.status, document.rejection_reason) == ("rejected", "Photo floue")
    assert (document.reviewed_by, document.reviewed_at) == ("secretariat", NOW)
    assert sorted(r.channel for r in outbox) == ["email", "sms"]
    for row in outbox:
        assert row.event == "document_rejected"
        assert row.context["reason"] == "Photo floue"
        assert row.context["document"] == "Photo d'identité"
        assert row.context["document_id"] == photo
    assert audit_events(db, refs[0])[-1] == (
        "reject_documents",
        "documents_supplied",
        "identity_verified",
        "Photo floue",
    )
    assert findings(db, refs[0])["id_photo"] is Status.UNMET


def test_a_rejection_is_one_transaction_with_the_dossiers_it_moves(
    db: Database, refs: list[str], store_dir: Path
) -> None:
    photo = supplied(db, store_dir, refs)
    before = counts(db)

    class Crash(Exception):
        pass

    def reject_then_crash() -> None:
        with db.unit_of_work() as uow:
            review_document(uow.session, photo, "reject", actor=STAFF, now=NOW, reason="Floue")
            raise Crash  # the process dies before commit

    with pytest.raises(Crash):
        reject_then_crash()
    assert counts(db) == before
    assert state(db, refs[0]) == "documents_supplied"
    with db.unit_of_work(read_only=True) as uow:
        assert uow.session.get_one(Document, photo).status == "pending"


def test_rejecting_a_family_document_moves_only_the_dossiers_that_allow_it(
    db: Database, refs: list[str], store_dir: Path
) -> None:
    supplied(db, store_dir, refs)
    with db.unit_of_work(read_only=True) as uow:
        form = uow.session.exec(select(Document).where(Document.kind == "payment_form")).one()
    assert form.id is not None
    result = review(db, form.id, "reject", "Non signé")
    assert [(e.ref, e.event, e.to_state) for e in result.effects] == [
        (refs[0], "reject_documents", "identity_verified"),
        (refs[1], "document_rejected", "invited"),
    ]
    assert audit_events(db, refs[1])[-1] == (
        "document_rejected",
        "invited",
        "invited",
        "payment_form #1 : Non signé",
    )


def test_accepting_marks_the_document_and_writes_the_trail(
    db: Database, refs: list[str], store_dir: Path
) -> None:
    photo = add(db, store_dir, "id_photo", jpeg(), Owner(dossier_ref=refs[0]), PHOTO)
    result = review(db, photo.id, "accept")
    assert [(e.ref, e.event, e.moved) for e in result.effects] == [
        (refs[0], "document_accepted", False)
    ]
    with db.unit_of_work(read_only=True) as uow:
        assert uow.session.get_one(Document, photo.id).status == "accepted"
    [met] = [f for f in checklist_of(db, refs[0]) if f.item == "id_photo"]
    assert met.message.endswith("Photo d'identité fournie et validée")
    with pytest.raises(DacapoError, match="already accepted"):
        review(db, photo.id, "accept")


def test_only_staff_review_and_a_rejection_needs_a_reason(
    db: Database, refs: list[str], store_dir: Path
) -> None:
    photo = add(db, store_dir, "id_photo", jpeg(), Owner(dossier_ref=refs[0]), PHOTO)
    with db.unit_of_work() as uow, pytest.raises(GuardFailed, match="réservée au personnel"):
        review_document(uow.session, photo.id, "accept", actor=CLAIRE, now=NOW)
    with db.unit_of_work() as uow, pytest.raises(BadInput, match="--reason"):
        review_document(uow.session, photo.id, "reject", actor=STAFF, now=NOW, reason=" ")
    with db.unit_of_work() as uow, pytest.raises(NotFound, match="No document 999"):
        review_document(uow.session, 999, "accept", actor=STAFF, now=NOW)
