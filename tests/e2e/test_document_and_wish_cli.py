"""The desk at work: documents added and reviewed, new pupils' wishes registered."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from dacapo.campaigns.schema import Role
from dacapo.engine.services import fire
from dacapo.rules.snapshot import Actor
from dacapo.store.database import Database, open_database
from dacapo.store.dossiers import get_dossier
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.tables import Answer, Document, OutboxRow
from tests.e2e.conftest import Result
from tests.integration.desk import seed_bare_family
from tests.integration.malakoff import load_bundled_campaign
from tests.unit.files.samples import jpeg, pdf

Dacapo = Callable[..., Result]
MAY = "2023-05-15T10:00:00+02:00"
JUNE = "2023-06-12T14:00:00+02:00"
CLAIRE = Actor(Role.GUARDIAN, "claire.f1@example.org")


@pytest.fixture
def db(dacapo: Dacapo, tmp_path: Path) -> Iterator[Database]:
    """The CLI's own SQLite file (``DACAPO_DATA_DIR``), with the campaign loaded."""
    database = open_database(None, tmp_path / "data")
    load_bundled_campaign(database)
    yield database
    database.dispose()


@pytest.fixture
def refs(db: Database) -> list[str]:
    return seed_bare_family(db)


def write(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def stored(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "data" / "documents"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def added_id(result: Result) -> int:
    assert result.exit_code == 0, result.stderr
    found = re.search(r"^document (\d+): ", result.stdout, re.M)
    assert found, result.stdout
    return int(found.group(1))


def test_a_rejected_photo_sends_the_dossier_back_and_queues_the_notice(
    dacapo: Dacapo, db: Database, refs: list[str], tmp_path: Path
) -> None:
    form = write(tmp_path, "modalités.pdf", pdf())
    card = write(tmp_path, "qf.pdf", pdf(b"<< >>"))
    photo = write(tmp_path, "zoé.jpg", jpeg())
    at = ("--now", MAY, "document", "add")
    result = dacapo(*at, "payment_form", form, "--family", "F1", "--site", "malakoff", "--signed")
    added_id(result)
    assert re.search(r"^sha256 [0-9a-f]{64} \(application/pdf", result.stdout, re.M)
    assert f"{refs[0]}: document_added" in result.stdout
    assert f"{refs[1]}: document_added" in result.stdout
    dates = ("--valid-from", "01/01/2023", "--valid-until", "2023-12-31")
    added_id(dacapo(*at, "quotient_card", card, "--dossier", refs[1], *dates))
    photo_id = added_id(
        dacapo(*at, "id_photo", photo, "--dossier", refs[0], "--issued", "2023-03-01")
    )
    for event in ("verify_identity", "supply_documents"):
        with db.unit_of_work() as uow:
            now = dt.datetime.fromisoformat(MAY)
            fire(SqlDossierStore(uow.session), refs[0], event, CLAIRE, now=now)
            uow.commit()

    result = dacapo(
        "--now", MAY, "document", "review", str(photo_id), "--reject", "--reason", "Floue"
    )
    assert result.exit_code == 0, result.stderr
    assert f"document {photo_id} (Photo d'identité): rejected" in result.stdout
    assert (
        f"{refs[0]}: documents_supplied -> identity_verified (reject_documents); "
        "notice queued (2 messages)" in result.stdout
    )
    with db.unit_of_work(read_only=True) as uow:
        assert get_dossier(uow.session, refs[0]).state == "identity_verified"
        outbox = uow.session.exec(select(OutboxRow)).all()
        document = uow.session.get_one(Document, photo_id)
    assert {(r.event, r.context["reason"]) for r in outbox} == {("document_rejected", "Floue")}
    assert (document.status, document.reviewed_by) == ("rejected", "secretariat")

    again = dacapo("document", "review", str(photo_id), "--accept")
    assert again.exit_code == 0, again.stderr
    assert f"{refs[0]}: stays identity_verified (document_accepted)" in again.stdout


def test_document_add_refuses_bad_input_with_exit_2_and_writes_nothing(
    dacapo: Dacapo, refs: list[str], tmp_path: Path
) -> None:
    photo = write(tmp_path, "photo.jpg", jpeg())
    svg = write(tmp_path, "photo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    owner = ("--dossier", refs[0])
    cases = [
        (("id_foto", photo, *owner), "did you mean 'id_photo'?"),
        (("id_photo", photo, *owner, "--issued", "2023-13-01"), "--issued '2023-13-01'"),
        (("id_photo", photo, *owner, "--valid-until", "mars"), "--valid-until 'mars'"),
        (("id_photo", photo, "--family", "F1", "--site", "malakoff"), "--dossier"),
        (("id_photo", svg, *owner), "photo.svg: refused: "),
        (("id_photo", photo), "--family REF --site SITE, or --dossier REF"),
    ]
    for args, said in cases:
        result = dacapo("document", "add", *args)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert said in result.stderr, (args, result.stderr)
    assert stored(tmp_path) == []


def test_a_relative_path_records_only_the_files_own_name(
    dacapo: Dacapo,
    db: Database,
    refs: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "scans").mkdir()
    write(tmp_path / "scans", "photo.jpg", jpeg())
    (tmp_path / "desk").mkdir()
    monkeypatch.chdir(tmp_path / "desk")

    photo_id = added_id(
        dacapo("document", "add", "id_photo", "../scans/photo.jpg", "--dossier", refs[0])
    )

    with db.unit_of_work(read_only=True) as uow:
        assert uow.session.get_one(Document, photo_id).original_name == "photo.jpg"


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("CON.pdf", "CON.pdf: refused: its name is CON, a Windows reserved device name"),
        ("avis\u202efdp.exe", "avis\\u202efdp.exe: refused: its name holds a bidirectional"),
        ("..\\..\\avis.pdf", "..\\..\\avis.pdf: refused: its name has a '..' path component"),
    ],
    ids=["windows-device", "rtl-override", "traversal"],
)
def test_a_local_file_with_a_deceptive_name_is_refused_until_renamed(
    dacapo: Dacapo, db: Database, refs: list[str], tmp_path: Path, name: str, said: str
) -> None:
    path = write(tmp_path, name, pdf())
    add = ("document", "add", "payment_form", "--family", "F1", "--site", "malakoff")

    result = dacapo(*add, path)

    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert said in result.stderr
    assert result.stderr.rstrip().endswith("; rename the file, then add it again")
    assert "\u202e" not in result.stderr
    assert stored(tmp_path) == []
    with db.unit_of_work(read_only=True) as uow:
        assert uow.session.exec(select(Document)).all() == []
    renamed = Path(path).rename(tmp_path / "avis.pdf")
    added_id(dacapo(*add, str(renamed)))
    assert len(stored(tmp_path)) == 1


def test_document_add_and_review_refuse_with_exit_1(
    dacapo: Dacapo, refs: list[str], tmp_path: Path
) -> None:
    photo = write(tmp_path, "photo.jpg", jpeg())
    result = dacapo(
        "document", "add", "payment_form", photo, "--family", "F9", "--site", "malakoff"
    )
    assert (result.exit_code, result.stderr.strip()) == (
        1,
        "error: No family 'F9' at site 'malakoff'",
    )
    stranger = ("--actor", "guardian:someone@example.org")
    result = dacapo("document", "add", "id_photo", photo, "--dossier", refs[0], *stranger)
    assert result.exit_code == 1
    assert "n'est pas responsable de la famille F1" in result.stderr
    photo_id = added_id(dacapo("document", "add", "id_photo", photo, "--dossier", refs[0]))
    review = ("document", "review", str(photo_id))
    result = dacapo(*review, "--accept", "--actor", "guardian:claire.f1@example.org")
    assert (result.exit_code, "réservée au personnel" in result.stderr) == (1, True)
    assert dacapo(*review, "--reject").exit_code == 2
    assert dacapo(*review).exit_code == 2
    assert dacapo("document", "review", "999", "--accept").exit_code == 1


WISH = (
    "wish",
    "add",
    "--site",
    "malakoff",
    "--window",
    "new_pupils",
    "--family-ref",
    "F9",
    "--guardian",
    "Martin;Anne;anne.martin@example.org;06 12 34 56 78",
    "--address",
    "3 rue Béranger",
    "--postcode",
    "92240",
    "--city",
    "Malakoff",
    "--student-ref",
    "N0001",
    "--last-name",
    "Martin",
    "--first-name",
    "Zoé",
    "--birth-date",
    "14/03/2017",
    "--cycle",
    "eveil",
    "--preferences",
    "Éveil musical,violon",
)


def test_wish_add_in_june_opens_a_new_pupil_dossier(dacapo: Dacapo, db: Database) -> None:
    result = dacapo("--now", JUNE, *WISH)
    assert result.exit_code == 0, result.stderr
    assert "dossier malakoff-2023-2024-N0001: wish_registered (new_pupil)" in result.stdout
    assert "wishes: 1. Éveil musical, 2. Violon" in result.stdout
    assert "family F9: created" in result.stdout
    with db.unit_of_work(read_only=True) as uow:
        dossier = get_dossier(uow.session, "malakoff-2023-2024-N0001")
        assert uow.session.get_one(Answer, dossier.id).preferences == ["Éveil musical", "Violon"]


def test_wish_add_in_may_is_refused_unless_staff_give_a_reason(
    dacapo: Dacapo, db: Database
) -> None:
    refused = dacapo("--now", MAY, *WISH)
    assert refused.exit_code == 1
    assert "du 05/06/2023 00:00 au 30/06/2023 23:59" in refused.stderr
    assert "--reason" in refused.stderr
    accepted = dacapo("--now", MAY, *WISH, "--reason", "Rendez-vous pris en mai")
    assert accepted.exit_code == 0, accepted.stderr
    again = dacapo("--now", JUNE, *WISH)
    assert again.exit_code == 2
    assert "'N0001' is already used at malakoff" in again.stderr


def test_wish_add_refuses_bad_input_with_exit_2(dacapo: Dacapo, db: Database) -> None:
    result = dacapo("--now", JUNE, *WISH[:-1], "Danse,Violon,Violon")
    assert result.exit_code == 2
    assert "--preferences: each wish once" in result.stderr
    result = dacapo("--now", JUNE, *WISH, "--guardian", "Martin;Paul;paul@example.org;0146")
    assert result.exit_code == 2
    assert "--guardian #2 mobile" in result.stderr
    result = dacapo("--now", JUNE, *WISH[:5], "reenrolment", *WISH[6:])
    assert result.exit_code == 2
    assert "new-pupil windows: new_pupils" in result.stderr
