"""Hostile input through the CLI, in process (the end-to-end suite's ``dacapo`` fixture):
unknown references, impossible dates, date-times without offset, SQL-looking search
text, control and bidi characters, absurd lengths.

Each refusal must name what is wrong, exit 1 (not found) or 2 (bad input), print no
traceback, and leave the database exactly as it was: every row of every table, compared
before and after. The search treats its text literally.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from dacapo.campaigns.schema import Role
from dacapo.engine.services import fire
from dacapo.rules.snapshot import Actor
from dacapo.store.database import Database, open_database
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.engines import make_engine
from dacapo.store.tables import metadata
from tests.e2e.conftest import ROOT, Result
from tests.integration.ready_dossiers import seed_family
from tests.reliability.campaigns import load

Dacapo = Callable[..., Result]
NOW = "2023-05-15T10:00:00+02:00"
LEA, HUGO, AWA = (f"malakoff-2023-2024-{s}" for s in ("S0100", "S0101", "S0200"))
FORM = str(ROOT / "examples" / "documents" / "formulaire-paiement.pdf")
PHOTO = str(ROOT / "examples" / "documents" / "photo-zoe.jpg")
RTL, ESC, BEL = "\u202e", "\x1b", "\x07"


def seed(db: Database) -> None:
    """Léa and Hugo Durand (Hugo withdrawn, so that he may be reopened), Awa N'Diaye."""
    load(db)
    seed_family(db)
    seed_family(db, "F0200", [("S0200", "Awa")], last_name="N'Diaye")
    with db.unit_of_work() as uow:
        now = dt.datetime.fromisoformat(NOW)
        fire(SqlDossierStore(uow.session), HUGO, "withdraw", Actor(Role.STAFF, "accueil"), now=now)
        uow.commit()


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order (SQLite read directly: 1 ms, not 30)."""
    if url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection:
            names = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            return {
                name: connection.execute(f'SELECT * FROM "{name}" ORDER BY rowid').fetchall()
                for (name,) in names.fetchall()
            }
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: [
                    tuple(row)
                    for row in connection.execute(
                        select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for table in metadata.sorted_tables
            }
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def shared_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One seeded data directory for the refusals, which must leave it untouched."""
    data = tmp_path_factory.mktemp("hostile") / "data"
    database = open_database(None, data)
    try:
        seed(database)
    finally:
        database.dispose()
    return data


@pytest.fixture
def cli(dacapo: Dacapo, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Dacapo]:
    """The ``dacapo`` fixture on the shared directory; fails the test if anything changed."""
    monkeypatch.setenv("DACAPO_DATA_DIR", str(shared_data))
    url = f"sqlite:///{shared_data / 'dacapo.sqlite3'}"
    before = snapshot(url)
    files = sorted(shared_data.rglob("*"))
    yield dacapo
    assert snapshot(url) == before, "the database changed"
    assert sorted(shared_data.rglob("*")) == files, "the data directory changed"


def case(args: list[str], message: str) -> object:
    """A parameter set named after its command line (control characters shown escaped)."""
    words = (Path(a).name if a.startswith("/") else a for a in args)
    shown = " ".join(a if len(a) < 40 else f"{a[:12]}…({len(a)} chars)" for a in words)
    printable = "".join(c if c.isprintable() else repr(c)[1:-1] for c in shown)
    return pytest.param(args, message, id=printable)


def refused(result: Result, code: int, *words: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)


# Unknown references: exit 1, naming what was not found

NOPE = "malakoff-2023-2024-S9999"
UNKNOWN = [
    case(["dossier", "show", NOPE], f"No dossier {NOPE!r}"),
    case(["dossier", "check", NOPE], f"No dossier {NOPE!r}"),
    case(["dossier", "audit", NOPE], f"No dossier {NOPE!r}"),
    case(["dossier", "advance", NOPE, "verify_identity"], f"No dossier {NOPE!r}"),
    case(["dossier", "withdraw", NOPE, "--reason", "Déménagement"], f"No dossier {NOPE!r}"),
    case(["dossier", "reopen", NOPE, "--reason", "Erreur"], f"No dossier {NOPE!r}"),
    case(["dossier", "extend", NOPE, "--until", "2023-05-31", "--reason", "x"],
         f"No dossier {NOPE!r}"),
    case(["dossier", "answer", NOPE, "--continue", "oui"], f"No dossier {NOPE!r}"),
    case(["dossier", "update", NOPE, "--set", "family.city=Vanves"], f"No dossier {NOPE!r}"),
    case(["document", "add", "payment_form", FORM, "--dossier", NOPE], f"No dossier {NOPE!r}"),
    case(["document", "add", "payment_form", FORM, "--family", "F9999", "--site", "malakoff"],
         "No family 'F9999' at site 'malakoff'"),
    case(["document", "review", "999", "--accept"], "No document 999"),
    case(["family", "export", "F9999", "--site", "malakoff"],
         "No family 'F9999' at site 'malakoff'"),
    case(["family", "export", "F0100", "--site", "vanves"], "No family 'F0100' at site 'vanves'"),
    case(["campaign", "status", "vanves-2023-2024"], "No campaign 'vanves-2023-2024'"),
    case(["notify", "preview", "confirmation", "--dossier", NOPE], f"No dossier {NOPE!r}"),
    case(["outbox", "show", "999"], "No outbox message 999"),
    case(["outbox", "cancel", "999"], "No outbox message 999"),
    case(["dossier", "advance", LEA, "enrol"], "Event 'enrol' is not allowed from state 'invited'"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), UNKNOWN)
def test_an_unknown_reference_is_refused_by_name(cli: Dacapo, args: list, message: str) -> None:
    refused(cli("--now", NOW, *args), 1, message)


# Impossible dates and date-times without offset: exit 2, nothing written

BAD_DATES = [
    case(["dossier", "extend", LEA, "--until", "2023-02-30", "--reason", "x"],
         "Date (--until) invalide : « 2023-02-30 »"),
    case(["dossier", "extend", LEA, "--until", "31/02/2023", "--reason", "x"],
         "Date (--until) invalide : « 31/02/2023 »"),
    case(["dossier", "extend", LEA, "--until", "2023-05-31T23:59:59+02:00", "--reason", "x"],
         "Date (--until) invalide"),
    case(["dossier", "extend", LEA, "--until", "demain", "--reason", "x"],
         "Date (--until) invalide"),
    case(["dossier", "extend", LEA, "--until", "", "--reason", "x"], "Date (--until) invalide"),
    case(["dossier", "reopen", HUGO, "--reason", "Erreur de saisie", "--until", "2023-06-31"],
         "Date (--until) invalide : « 2023-06-31 »"),
    case(["document", "add", "payment_form", FORM, "--dossier", LEA, "--valid-until", "2023-02-30"],
         "--valid-until '2023-02-30': impossible date"),
    case(["document", "add", "id_photo", PHOTO, "--dossier", LEA, "--issued", "31/13/2023"],
         "--issued '31/13/2023': impossible date"),
    case(["dossier", "update", LEA, "--set", "student.birth_date=2012-02-30"], "Date de naissance"),
]  # fmt: skip
BAD_NOWS = [
    "2023-05-15T10:00:00",  # no offset: which 10:00?
    "2023-05-15",
    "2023-13-45T10:00:00+02:00",
    "2023-05-15T10:00:00+25:00",
    "hier",
    "",
]


@pytest.mark.parametrize(("args", "message"), BAD_DATES)
def test_an_impossible_date_is_refused_by_name(cli: Dacapo, args: list, message: str) -> None:
    refused(cli("--now", NOW, *args), 2, message)


@pytest.mark.parametrize("now", BAD_NOWS)
def test_a_now_that_is_no_aware_instant_is_refused(cli: Dacapo, now: str) -> None:
    refused(cli("--now", now, "dossier", "advance", LEA, "verify_identity"), 2, repr(now))


# Search text is literal

SEARCHES = [
    ("'; DROP TABLE dossier; --", []),
    ("%", []),
    ("_", []),
    ("\\", []),
    ("s01_0", []),  # "_" as a wildcard would find S0100 and S0101
    ("s01%", []),
    ("malakoff-2023-2024-S0100' OR '1'='1", []),
    ("n'diaye", [AWA]),
    ("LÉA", [LEA]),
    ("durand", [LEA, HUGO]),
    ("durand léa", [LEA]),
]


@pytest.mark.parametrize(("text", "found"), SEARCHES)
def test_search_text_is_taken_literally(cli: Dacapo, text: str, found: list[str]) -> None:
    result = cli("dossier", "list", "--search", text, "--json")

    assert result.exit_code == 0, result.stderr
    assert [row["ref"] for row in json.loads(result.stdout)] == found


# Control characters, bidi overrides and absurd lengths where the code refuses them

REFUSED_TEXT = [
    case(["dossier", "answer", LEA, "--remarks", "x" * 2001], "au plus 2000 caractères"),
    case(["dossier", "answer", LEA, "--preferences", f"Violon{RTL}"], "choix inconnu « Violon"),
    case(["dossier", "update", LEA, "--set", f"guardian1.mobile=06 12 34 56 78{RTL}"],
         "n'est pas un numéro de mobile"),
    case(["dossier", "update", LEA, "--set", f"guardian1.email=anne{ESC}@example.org"],
         "guardian1.email"),
    case(["dossier", "advance", LEA, "verify_identity", "--actor", "guardian:"],
         "--actor 'guardian:'"),
    case(["dossier", "advance", LEA, "verify_identity", "--actor", f"parent:{'x' * 10_000}"],
         "write guardian:EMAIL"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), REFUSED_TEXT)
def test_a_text_option_the_rules_refuse_writes_nothing(
    cli: Dacapo, args: list, message: str
) -> None:
    refused(cli("--now", NOW, *args), 2, message)


def test_a_very_long_search_finds_nothing_and_writes_nothing(cli: Dacapo) -> None:
    result = cli("dossier", "list", "--search", "durand " + "z" * 10_000, "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == []


# Text that would end up in the audit trail, in `dossier show` and in messages to families
# holds no control or bidirectional character and has a length a person writes there
# (engine.texts, as the family import): refused with exit 2, naming the option or field.

UNSAFE_TEXT = [
    case(["dossier", "update", LEA, "--set", f"guardian1.last_name=Dur{RTL}and"],
         "guardian1.last_name: holds a bidirectional control character (U+202E)"),
    case(["dossier", "update", LEA, "--set", "student.first_name=L\u2067éa\u2069"],
         "student.first_name: holds a bidirectional control character (U+2067)"),
    case(["dossier", "update", LEA, "--set", "guardian1.first_name=Anne\nMarie"],
         "guardian1.first_name: holds a line break (U+000A)"),
    case(["dossier", "update", LEA, "--set", f"family.address=1 rue{ESC}[2J de la Gare"],
         "family.address: holds a control character (U+001B)"),
    case(["dossier", "update", LEA, "--set", "family.address=" + "12 rue " * 10_000],
         "family.address: too long: 69,999 characters, at most 200"),
    case(["dossier", "update", LEA, "--set", "family.city=Vanves", "--reason", f"Appel{BEL}"],
         "--reason: holds a control character (U+0007)"),
    case(["dossier", "answer", LEA, "--remarks", f"Allergie{BEL} aux arachides"],
         "--remarks: holds a control character (U+0007)"),
    case(["dossier", "answer", LEA, "--remarks", f"Allergie{RTL} aux arachides"],
         "--remarks: holds a bidirectional control character (U+202E)"),
    case(["dossier", "withdraw", LEA, "--reason", f"Déménagement{ESC}[31m"],
         "--reason: holds a control character (U+001B)"),
    case(["dossier", "withdraw", LEA, "--reason", "Déménagement " * 10_000],
         "--reason: too long: 129,999 characters, at most 1,000"),
    case(["dossier", "reopen", HUGO, "--reason", f"Erreur{RTL}", "--until", "2023-05-31"],
         "--reason: holds a bidirectional control character (U+202E)"),
    case(["dossier", "extend", LEA, "--until", "2023-05-31", "--reason", f"Malade{ESC}[2J"],
         "--reason: holds a control character (U+001B)"),
    case(["dossier", "advance", LEA, "verify_identity", "--actor", f"staff:x{ESC}[2J"],
         "--actor: holds a control character (U+001B)"),
    case(["document", "add", "payment_form", FORM, "--dossier", LEA, "--reason", f"Scan{RTL}"],
         "--reason: holds a bidirectional control character (U+202E)"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), UNSAFE_TEXT)
def test_control_characters_bidi_overrides_and_absurd_lengths_are_refused(
    cli: Dacapo, args: list, message: str
) -> None:
    refused(cli("--now", NOW, *args), 2, message)


@pytest.mark.parametrize("word", ["z" * 50_000, "é" * 25_000], ids=["50000-z", "25000-é"])
def test_a_search_word_longer_than_sqlites_like_limit_finds_nothing(cli: Dacapo, word: str) -> None:
    """SQLite refuses LIKE patterns over 50,000 bytes; no name is that long anyway."""
    result = cli("dossier", "list", "--search", word, "--json")

    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == []


# NUL: PostgreSQL refuses it in any text, even a value looked up (psycopg.DataError)

NUL = [
    case(["dossier", "withdraw", LEA, "--reason", "Déménagement\x00"], "--reason"),
    case(["dossier", "list", "--search", "dur\x00and", "--json"], "--search"),
    case(["dossier", "show", f"{LEA}\x00"], "REF"),
    case(["dossier", "update", LEA, "--set", "family.city=Van\x00ves"], "--set"),
]


@pytest.mark.parametrize(("args", "option"), NUL)
def test_a_nul_character_is_refused_as_bad_input_on_either_database(
    dacapo: Dacapo, db: Database, database_url: str, args: list, option: str
) -> None:
    seed(db)
    before = snapshot(database_url)
    result = dacapo("--db", database_url, "--now", NOW, *args)

    refused(result, 2, f"{option}: holds a NUL character (U+0000)")
    assert snapshot(database_url) == before


# Filters naming nothing known: exit 2, naming the value and what is known

UNKNOWN_FILTERS = [
    case(["dossier", "list", "--campaign", "malakoff-2032-2033"],
         "--campaign 'malakoff-2032-2033': unknown campaign; campaigns: malakoff-2023-2024"),
    case(["dossier", "list", "--state", "invited", "--state", "confimred"],
         "--state 'confimred': no workflow declares it; states: "),
    case(["dossier", "list", "--campaign", "malakoff-2023-2024", "--window", "reenrolement"],
         "--window 'reenrolement': unknown window; windows: new_pupils, reenrolment; "
         "did you mean 'reenrolment'?"),
    case(["audit", "verify", "--campaign", "malakoff-2032-2033"],
         "--campaign 'malakoff-2032-2033': unknown campaign; campaigns: malakoff-2023-2024"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), UNKNOWN_FILTERS)
def test_a_filter_naming_nothing_known_is_refused(cli: Dacapo, args: list, message: str) -> None:
    result = cli(*args)

    refused(result, 2, message)
    assert result.stdout == ""


def test_a_state_filter_is_told_the_closest_state_declared(cli: Dacapo) -> None:
    result = cli("dossier", "list", "--state", "confimred")

    refused(result, 2, "confirmed", "withdrawn", "did you mean 'confirmed'?")
