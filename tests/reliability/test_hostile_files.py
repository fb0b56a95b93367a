"""Hostile files through the CLI, on a data directory in use: broken campaign files loaded
over a live campaign, broken family CSVs imported over known families, hostile uploads,
and campaign templates that try to leave the sandbox or never end.

Each is refused with exit 2, a message naming the file (with its line and column, or row
and column, where it has them) and what is wrong, and no traceback; and nothing is
written: every row of every table (``snapshot``) and every file of the data directory are
the same afterwards.

Covered elsewhere, and not repeated here: each broken campaign file refused by
``read_campaign`` and ``campaign validate`` at its line and column
(tests/unit/campaigns/test_loader.py, tests/e2e/test_campaign_cli.py); each broken CSV
at its row and column, nothing imported into an empty database
(tests/unit/imports/test_bad_files.py, tests/e2e/test_family_import_corpus.py); every
hostile file and hostile name refused by ``intake`` and ``add_document``, legitimate names
kept as display text with the file stored by hash (tests/unit/files/,
tests/integration/test_documents.py);
sandbox escapes and loops refused at render (tests/unit/notifications/test_sandbox.py).
"""

from __future__ import annotations

import functools
import io
import tomllib
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dacapo.cli import app
from dacapo.store.database import Database, open_database
from dacapo.store.tables import OutboxRow
from tests.e2e.conftest import ROOT, Result
from tests.integration.ready_dossiers import seed_family
from tests.reliability.campaigns import load
from tests.reliability.test_hostile_cli import snapshot
from tests.unit.files import samples

Dacapo = Callable[..., Result]
NOW = "2023-05-15T10:00:00+02:00"
BUNDLED = ROOT / "campaign-2023-2024.yaml"
SAMPLE_CSV = ROOT / "tests" / "data" / "csv" / "malakoff-sample.csv"
BAD_CAMPAIGNS = sorted((ROOT / "tests" / "data" / "campaigns" / "bad").glob("*.yaml"))
BAD_CSV = ROOT / "tests" / "data" / "csv" / "bad"
FORM = ROOT / "examples" / "documents" / "formulaire-paiement.pdf"
LEA = "malakoff-2023-2024-S0100"  # seed_family's Léa Durand (F0100)
ZOE = "malakoff-2023-2024-S0101"  # the sample's Zoé Dupont (F001)
RTL = "\u202e"


def refused(result: Result, *words: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)


def files_in(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def shared_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory in use: the bundled campaign loaded, the sample's 12 families and
    20 dossiers, a payment form stored; shared by the refusals, which must not touch it."""
    data = tmp_path_factory.mktemp("hostile-files") / "data"
    env = {"DACAPO_DATA_DIR": str(data), "DACAPO_ACTOR": "secretariat", "DACAPO_NOW": NOW}
    for args in (
        ["family", "import", str(SAMPLE_CSV), "--site", "malakoff"],
        ["campaign", "load", str(BUNDLED)],
        ["document", "add", "payment_form", str(FORM), "--family", "F001", "--site", "malakoff",
         "--signed"],
    ):  # fmt: skip
        result = CliRunner().invoke(app, args, env=env)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return data


@pytest.fixture
def cli(dacapo: Dacapo, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Dacapo]:
    """The ``dacapo`` fixture on the shared directory; fails the test if anything changed."""
    monkeypatch.setenv("DACAPO_DATA_DIR", str(shared_data))
    url = f"sqlite:///{shared_data / 'dacapo.sqlite3'}"
    before, files = snapshot(url), files_in(shared_data)
    assert before["dossier"], "nothing to compare: the test would prove nothing"
    assert files, "nothing to compare: the test would prove nothing"
    yield dacapo
    assert snapshot(url) == before, "the database changed"
    assert files_in(shared_data) == files, "the data directory changed"


# Broken campaign files, loaded over a live campaign


def expectation(path: Path) -> tuple[str, str]:
    """``LINE:COL`` and a fragment of the message, from the file's ``# expect:`` line."""
    expect = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")
    where, fragment = expect.split(": ", 1)
    return where, fragment


@pytest.mark.parametrize("path", BAD_CAMPAIGNS, ids=lambda p: p.stem)
def test_loading_a_broken_campaign_file_is_refused_at_its_place_and_writes_nothing(
    cli: Dacapo, path: Path
) -> None:
    where, fragment = expectation(path)

    result = cli("--now", NOW, "campaign", "load", str(path))

    refused(result, f"{path}:{where}: ", fragment)


# A new version of the live campaign (same id), broken: (change, where it is, message).
BROKEN_VERSIONS = [
    pytest.param(("initial: invited\n", "initial: invitd\n"), "initial: invitd",
                 "unknown state 'invitd'", id="unknown-initial-state"),
    pytest.param(('at: "09:00"', 'at: "02:30"'), 'at: "02:30"',
                 "02:30 is in the 02:00–03:00 hour that daylight saving time skips or repeats",
                 id="reminder-in-the-dst-hour"),
    pytest.param(("closes: 2023-05-24 ", "closes: 2023-05-32 "), "closes: 2023-05-32",
                 "'2023-05-32' is not a valid date", id="impossible-closing-date"),
    pytest.param(("title: Réinscriptions", "title: Réinscriptions\ntitle: Doublon\n#"),
                 "title: Doublon", "duplicate key 'title'", id="duplicate-key"),
]  # fmt: skip


def broken_version(folder: Path, change: tuple[str, str]) -> Path:
    text = BUNDLED.read_text(encoding="utf-8")
    assert change[0] in text, change
    path = folder / "campaign-2023-2024.yaml"
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("change", "line_text", "message"), BROKEN_VERSIONS)
def test_a_broken_new_version_of_the_live_campaign_is_refused_and_writes_nothing(
    cli: Dacapo, tmp_path: Path, change: tuple[str, str], line_text: str, message: str
) -> None:
    path = broken_version(tmp_path, change)
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if line_text in text)

    result = cli("--now", NOW, "campaign", "load", str(path))

    refused(result, f"{path}:{line}:", message)


def test_a_broken_new_version_writes_nothing_on_either_database(
    dacapo: Dacapo, db: Database, database_url: str, tmp_path: Path
) -> None:
    load(db)
    seed_family(db)
    before = snapshot(database_url)
    for param in BROKEN_VERSIONS:
        change, _, message = param.values
        path = broken_version(tmp_path, change)  # type: ignore[arg-type]

        result = dacapo("--db", database_url, "--now", NOW, "campaign", "load", str(path))

        refused(result, str(path), message)  # type: ignore[arg-type]
        assert snapshot(database_url) == before, param.id


# Broken family CSVs, imported over the families they would change

EXPECTED_CSV = tomllib.loads((BAD_CSV / "expected.toml").read_text(encoding="utf-8"))


def csv_place(path: Path, row: int, column: str) -> str:
    """How the CLI names a place: FILE:ROW:COLUMN, FILE:ROW or FILE."""
    if row == 0:
        return f"{path}: "
    return f"{path}:{row}:{column}: " if column else f"{path}:{row}: "


@pytest.mark.parametrize("name", sorted(EXPECTED_CSV), ids=lambda n: n.removesuffix(".csv"))
def test_a_broken_family_csv_changes_none_of_the_families_already_there(
    cli: Dacapo, name: str
) -> None:
    path = BAD_CSV / name

    result = cli("--now", NOW, "family", "import", str(path), "--site", "malakoff")

    refused(result, "nothing imported")
    for problem in EXPECTED_CSV[name]["problems"]:
        assert csv_place(path, problem["row"], problem["column"]) in result.stderr
        assert problem["message"] in result.stderr


# Hostile uploads: `document add`


def zip_bomb() -> bytes:
    """A ZIP of 200 MB of zeros in 200 KB, named like a PDF."""
    buffer, zeros = io.BytesIO(), bytes(1024 * 1024)
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("facture.pdf", "w", force_zip64=True) as inner,
    ):
        for _ in range(200):
            inner.write(zeros)
    return buffer.getvalue()


def pdf_bomb() -> bytes:
    """A PDF whose one Flate stream inflates to 257 MB: past the checker's budget."""
    packer = zlib.compressobj(1)
    zeros = bytes(1024 * 1024)
    packed = b"".join(packer.compress(zeros) for _ in range(257)) + packer.flush()
    return samples.pdf(samples.pdf_stream(b"/Filter /FlateDecode", packed))


@dataclass(frozen=True)
class Upload:
    name: str  # the file's name on disk, which the refusal quotes
    content: Callable[[], bytes]
    said: str  # the reason given
    kind: str = "payment_form"
    shown: str | None = None  # the name in the message, when escaped
    env: dict[str, str] = field(default_factory=dict)

    def args(self, file: Path, family: str, dossier: str) -> list[str]:
        if self.kind == "id_photo":  # a pupil's document
            return ["document", "add", self.kind, str(file), "--dossier", dossier]
        return ["document", "add", self.kind, str(file), "--family", family, "--site", "malakoff"]


UPLOADS = {
    "polyglot-jpeg-zip": Upload("photo.jpg", lambda: samples.jpeg(tail=samples.zip_archive()),
                                "the JPEG also contains a ZIP archive", kind="id_photo"),
    "polyglot-pdf-exe": Upload("formulaire.pdf", lambda: samples.pdf(samples.windows_executable()),
                               "the PDF also contains a Windows executable"),
    "polyglot-png-php": Upload("photo.png", lambda: samples.png(tail=b"<?php system($_GET[1]);"),
                               "the PNG also contains HTML or script code", kind="id_photo"),
    "zip-bomb": Upload("facture.pdf", zip_bomb, "a ZIP archive or Office document"),
    "pdf-bomb": Upload("avis.pdf", pdf_bomb, "the PDF takes more than 256 MB to decompress"),
    "pixel-bomb": Upload("photo.png", lambda: samples.png(20_000, 20_000),
                         "20000×20000 pixels, over the 50-megapixel", kind="id_photo"),
    "oversize": Upload("scan.pdf", lambda: samples.pdf(b"(" + b"x" * 4096 + b")"),
                       "the file is larger than the 0.00 MB (4096 bytes) limit",
                       env={"DACAPO_MAX_UPLOAD_BYTES": "4096"}),
    "empty": Upload("vide.pdf", lambda: b"", "empty file"),
    # Names made to deceive, refused whatever the content (a valid PDF for two of them)
    "rtl-override-name": Upload(f"facture{RTL}fdp.exe", samples.windows_executable,
                                "its name holds a bidirectional control character (U+202E)",
                                shown="facture\\u202efdp.exe"),
    "traversal-name": Upload("..\\..\\facture.pdf", samples.pdf,
                             "its name has a '..' path component"),
    "windows-device-name": Upload("CON.pdf", samples.pdf,
                                  "its name is CON, a Windows reserved device name"),
}  # fmt: skip
NAMED = {"rtl-override-name", "traversal-name", "windows-device-name"}


@functools.cache
def content_of(case: str) -> bytes:
    return UPLOADS[case].content()


def write_upload(folder: Path, case: str) -> Path:
    upload = UPLOADS[case]
    folder.mkdir(exist_ok=True)
    (folder / upload.name).write_bytes(content_of(case))
    return folder / upload.name


@pytest.mark.parametrize("case", sorted(UPLOADS))
def test_a_hostile_upload_is_refused_by_name_and_nothing_is_stored(
    cli: Dacapo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    upload = UPLOADS[case]
    for name, value in upload.env.items():
        monkeypatch.setenv(name, value)
    file = write_upload(tmp_path / "uploads", case)

    result = cli("--now", NOW, *upload.args(file, "F001", ZOE))

    refused(result, f"{upload.shown or upload.name}: refused: ", upload.said)
    assert RTL not in result.stderr
    if case in NAMED:
        assert result.stderr.rstrip().endswith("; rename the file, then add it again")


def test_a_traversal_path_names_only_the_file_it_reaches_and_that_file_is_refused(
    cli: Dacapo, tmp_path: Path
) -> None:
    target = tmp_path / "secret" / "passwd"
    target.parent.mkdir()
    target.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    (tmp_path / "uploads" / "a").mkdir(parents=True)
    traversal = tmp_path / "uploads" / "a" / ".." / ".." / "secret" / "passwd"

    result = cli("--now", NOW, "document", "add", "payment_form", str(traversal),
                 "--family", "F001", "--site", "malakoff")  # fmt: skip

    refused(result, "passwd: refused: the content is not a PDF, JPEG or PNG")


def test_hostile_uploads_write_nothing_on_either_database(
    dacapo: Dacapo,
    db: Database,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    load(db)
    seed_family(db)
    store = tmp_path / "data"  # the dacapo fixture's data directory
    first = dacapo("--db", database_url, "--now", NOW, "document", "add", "payment_form",
                   str(FORM), "--family", "F0100", "--site", "malakoff", "--signed")  # fmt: skip
    assert first.exit_code == 0, first.stderr
    before, files = snapshot(database_url), files_in(store)
    for case, upload in UPLOADS.items():
        with monkeypatch.context() as patch:
            for name, value in upload.env.items():
                patch.setenv(name, value)
            file = write_upload(tmp_path / "uploads", case)

            result = dacapo("--db", database_url, "--now", NOW, *upload.args(file, "F0100", LEA))

        refused(result, f"{upload.shown or upload.name}: refused: ", upload.said)
        assert snapshot(database_url) == before, case
        assert files_in(store) == files, case


# Templates: a campaign's own folder reaching outside the sandbox, or looping forever


def campaign_with_templates(folder: Path, templates: dict[str, str], where: str) -> Path:
    """The bundled campaign with ``notifications.templates_dir: where`` holding ``templates``
    (other templates come from the shipped folder)."""
    text = BUNDLED.read_text(encoding="utf-8")
    assert text.count("\nnotifications:\n") == 1
    path = folder / "campaign.yaml"
    path.write_text(
        text.replace("\nnotifications:\n", f"\nnotifications:\n  templates_dir: {where}\n"),
        encoding="utf-8",
    )
    own = folder / where
    own.mkdir(parents=True, exist_ok=True)
    for name, source in templates.items():
        (own / name).write_text(source, encoding="utf-8")
    return path


ESCAPES = [
    pytest.param("{{ ''.__class__.__mro__[1].__subclasses__() }}", "__class__", id="mro"),
    pytest.param("{{ cycler.__init__.__globals__.os }}", "__init__", id="globals"),
    pytest.param("{{ guardian.name|attr('__class__') }}", "__class__", id="attr-filter"),
    pytest.param("{{ pupils[0]['__dict__'] }}", "__dict__", id="subscript"),
    pytest.param("{% set f = self._TemplateReference__context %}{{ f }}",
                 "_TemplateReference__context", id="template-internals"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "attribute"), ESCAPES)
def test_a_template_reaching_outside_the_sandbox_is_refused_before_the_campaign_loads(
    cli: Dacapo, tmp_path: Path, source: str, attribute: str
) -> None:
    own = tmp_path / "templates"
    text = f"Bonjour {{{{ guardian.name }}}},\n{source}\n"
    path = campaign_with_templates(tmp_path, {"reminder.txt.j2": text}, str(own))
    said = f"{own / 'reminder.txt.j2'}:2:1: unsafe access to attribute {attribute!r}"

    refused(cli("campaign", "validate", str(path)), said, "refused by the sandbox")
    refused(cli("--now", NOW, "campaign", "load", str(path)), said)


def rows_of(database: Database) -> list[Any]:
    with database.unit_of_work(read_only=True) as uow:
        query = select(OutboxRow.id, OutboxRow.template, OutboxRow.status, OutboxRow.last_error)
        return list(uow.session.execute(query.order_by(OutboxRow.id)))


def outbox_rows(data: Path) -> list[Any]:
    database = open_database(None, data)
    try:
        return rows_of(database)
    finally:
        database.dispose()


LOOP = "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}"


def test_an_endless_loop_in_a_template_is_stopped_and_the_message_never_sent(
    dacapo: Dacapo, tmp_path: Path
) -> None:
    own = tmp_path / "templates"
    path = campaign_with_templates(
        tmp_path, {"reminder.txt.j2": f"Bonjour {{{{ guardian.name }}}},\n{LOOP}\n"}, str(own)
    )
    loaded = dacapo("--now", NOW, "campaign", "load", str(path))
    assert loaded.exit_code == 0, loaded.stderr  # nothing can tell a loop before it runs
    database = open_database(None, tmp_path / "data")  # the dacapo fixture's
    try:
        seed_family(database)
    finally:
        database.dispose()
    reminder_time = "2023-05-17T10:00:00+02:00"  # one_week_left
    stopped = "reminder.txt.j2:2: rendering took longer than 2 s and was stopped"

    preview = dacapo("--now", reminder_time, "notify", "preview", "reminder", "--dossier", LEA,
                     "--templates", str(own))  # fmt: skip
    refused(preview, stopped)

    assert dacapo("--now", reminder_time, "scheduler", "tick").exit_code == 0
    sent = dacapo("--now", reminder_time, "outbox", "dispatch")
    assert sent.exit_code == 0, sent.stderr
    rows = outbox_rows(tmp_path / "data")
    reminders = [r for r in rows if r.template == "reminder"]
    assert len(reminders) == 2  # Anne and Paul
    for row in reminders:
        assert row.status == "failed"
        assert f"template: {stopped}" in (row.last_error or "")
    written = [p.read_text("utf-8", "replace") for p in (tmp_path / "data" / "outbox").iterdir()]
    assert len(written) == sum(r.status == "sent" for r in rows)  # the invitations
    assert not [text for text in written if "Rappel" in text]


def test_a_campaigns_own_templates_are_found_wherever_the_dispatcher_runs(
    dacapo: Dacapo, db: Database, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "campaigns"
    folder.mkdir()
    path = campaign_with_templates(
        folder, {"reminder.subject.j2": "Rappel de Malakoff\n"}, "malakoff-templates"
    )
    elsewhere = tmp_path / "cron"  # not the campaign's folder, as a cron job's would not be
    elsewhere.mkdir()
    run = functools.partial(dacapo, "--db", database_url)
    monkeypatch.chdir(folder)
    loaded = run("--now", NOW, "campaign", "load", path.name)
    assert loaded.exit_code == 0, loaded.stderr
    seed_family(db)
    monkeypatch.chdir(elsewhere)
    reloaded = run("--now", NOW, "campaign", "load", str(path))
    assert reloaded.stdout.startswith("malakoff-2023-2024 already loaded as version 1:")
    reminder_time = "2023-05-17T10:00:00+02:00"  # one_week_left

    preview = run("--now", reminder_time, "notify", "preview", "reminder", "--dossier", LEA)
    assert preview.exit_code == 0, preview.stderr
    assert "\nSubject: Rappel de Malakoff\n" in preview.stdout

    assert run("--now", reminder_time, "scheduler", "tick").exit_code == 0
    assert run("--now", reminder_time, "outbox", "dispatch").exit_code == 0

    reminders = [r for r in rows_of(db) if r.template == "reminder"]
    assert {(r.status, r.last_error) for r in reminders} == {("sent", None)}
    assert len(reminders) == 2  # Anne and Paul
    written = [p.read_bytes() for p in (tmp_path / "data" / "outbox").iterdir()]
    assert sum(b"Subject: Rappel de Malakoff" in message for message in written) == 2
    shown = run("--now", reminder_time, "outbox", "show", str(reminders[0].id))
    assert shown.exit_code == 0, shown.stderr
    assert "\nSubject: Rappel de Malakoff\n" in shown.stdout


def test_a_campaigns_templates_folder_gone_is_named_never_replaced_by_the_shipped_one(
    dacapo: Dacapo, tmp_path: Path
) -> None:
    path = campaign_with_templates(
        tmp_path, {"reminder.subject.j2": "Rappel de Malakoff\n"}, "malakoff-templates"
    )
    assert dacapo("--now", NOW, "campaign", "load", str(path)).exit_code == 0
    database = open_database(None, tmp_path / "data")
    try:
        seed_family(database)
        (tmp_path / "malakoff-templates").rename(tmp_path / "moved")
        reminder_time = "2023-05-17T10:00:00+02:00"  # one_week_left
        gone = f"{tmp_path / 'malakoff-templates'}: templates folder not found"

        refused(dacapo("--now", reminder_time, "notify", "preview", "reminder", "--dossier", LEA),
                gone, "notifications.templates_dir")  # fmt: skip

        assert dacapo("--now", reminder_time, "scheduler", "tick").exit_code == 0
        assert dacapo("--now", reminder_time, "outbox", "dispatch").exit_code == 0
        rows = rows_of(database)
    finally:
        database.dispose()
    assert sorted(r.template for r in rows) == ["invitation"] * 2 + ["reminder"] * 2
    for row in rows:  # every message of the campaign: none goes out with the shipped text
        assert row.status == "failed"
        assert (row.last_error or "").startswith(f"template: {gone}")
    assert not (tmp_path / "data" / "outbox").exists()
