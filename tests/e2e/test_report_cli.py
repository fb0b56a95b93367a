"""Staff reading ``dacapo report CAMPAIGN`` in each format, on screen or in a file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from dacapo.campaigns.schema import Role
from dacapo.engine.services import fire
from dacapo.rules.snapshot import Actor
from dacapo.store.database import DEFAULT_FILENAME, open_database
from dacapo.store.engine_port import SqlDossierStore
from tests.e2e.conftest import Result
from tests.integration.ready_dossiers import load_bundled_campaign, seed_family

Dacapo = Callable[..., Result]
NOW = "2023-05-15T10:00:00+02:00"
CAMPAIGN = "malakoff-2023-2024"
LEA, HUGO, ZOE = (f"{CAMPAIGN}-S{n}" for n in ("0100", "0101", "0300"))
HOSTILE = "O'Brien <script>alert('x')</script>"


def seed_report_data(folder: Path) -> Path:
    """Léa confirmed on 12 May, Hugo invited, Zoé (hostile family name) without income
    evidence, in the default SQLite file of ``folder``: returns that file."""
    db = open_database(None, folder)
    try:
        load_bundled_campaign(db)
        seed_family(db, "F0100", [("S0100", "Léa"), ("S0101", "Hugo")])
        seed_family(db, "F0300", [("S0300", "Zoé")], without=["income_evidence"], last_name=HOSTILE)
        when = dt.datetime(2023, 5, 12, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        for event in ("verify_identity", "supply_documents", "accept_rules"):
            with db.unit_of_work() as uow:
                fire(SqlDossierStore(uow.session), LEA, event, Actor(Role.STAFF, "t"), now=when)
                uow.commit()
    finally:
        db.dispose()
    return folder / DEFAULT_FILENAME


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeded once; each test gets a copy of the file."""
    return seed_report_data(tmp_path_factory.mktemp("seeded"))


@pytest.fixture
def seeded(dacapo: Dacapo, seeded_file: Path) -> Dacapo:
    data = Path(os.environ["DACAPO_DATA_DIR"])
    data.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(seeded_file, data / DEFAULT_FILENAME)
    return dacapo


def _run(dacapo: Dacapo, *args: str) -> Result:
    result = dacapo("--now", NOW, "report", CAMPAIGN, *args)
    assert result.exit_code == 0, result.stderr
    return result


def test_table_shows_counts_and_the_call_list_in_french(seeded: Dacapo) -> None:
    out = _run(seeded).stdout

    assert "Dossiers par fenêtre et par état" in out
    assert "Réinscription confirmée" in out
    assert "3 dossiers, 1 aboutis (33,3\u202f%)" in out
    assert out.index(HUGO) < out.index(ZOE)  # same deadline: by ref
    assert "Justificatif de quotient familial manquant" in out
    assert "06 12 34 56 78" in out


def test_csv_is_one_file_with_a_section_column(seeded: Dacapo) -> None:
    rows = list(csv.DictReader(io.StringIO(_run(seeded, "--format", "csv").stdout)))

    sections = {r["section"] for r in rows}
    assert sections >= {"campaign", "window", "state", "discipline", "cycle", "call_list",
                        "messages", "funnel"}  # fmt: skip
    calls = [r for r in rows if r["section"] == "call_list"]
    assert [(r["ref"], r["date"]) for r in calls] == [(HUGO, "2023-05-24"), (ZOE, "2023-05-24")]
    assert calls[1]["student"] == f"Zoé {HOSTILE}"
    assert calls[1]["guardians"].endswith(f"Paul {HOSTILE} f0300.paul@example.org")
    confirmed = next(r for r in rows if r["section"] == "state" and r["state"] == "confirmed")
    assert confirmed["count"] == "1"


def test_json_carries_the_whole_report(seeded: Dacapo) -> None:
    report = json.loads(_run(seeded, "--format", "json").stdout)

    assert report["generated_at"] == "2023-05-15T10:00:00+02:00"
    assert (report["dossiers"], report["succeeded"]) == (3, 1)
    assert [c["ref"] for c in report["call_list"]] == [HUGO, ZOE]
    assert report["call_list"][0]["guardians"][0]["phone"] == "06 12 34 56 78"
    (window,) = report["funnel"]["windows"]
    confirmed = next(s for s in window["series"] if s["state"] == "confirmed")
    assert report["funnel"]["days"][0] == "2023-05-12"
    assert confirmed["counts"] == [1, 1, 1, 1]


def test_html_is_self_contained_and_escapes_the_data(seeded: Dacapo) -> None:
    page = _run(seeded, "--format", "html").stdout

    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert "O&#39;Brien &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    assert "<link" not in page
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="funnel"' in page
    assert '<h2 id="relances">Dossiers à relancer (2)</h2>' in page


def test_output_option_writes_the_file_and_says_where(seeded: Dacapo, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "rapport.html"

    result = _run(seeded, "--format", "html", "-o", str(target))

    assert result.stdout == ""
    assert f"written to {target}" in result.stderr
    assert target.read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert list(target.parent.iterdir()) == [target]


def test_limit_caps_the_call_list_and_says_how_many_there_are(seeded: Dacapo) -> None:
    report = json.loads(_run(seeded, "--format", "json", "--limit", "1").stdout)

    assert [c["ref"] for c in report["call_list"]] == [HUGO]
    assert report["call_list_total"] == 2


def test_unknown_campaign_exits_1_naming_the_known_ones(seeded: Dacapo, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"

    result = seeded("--now", NOW, "report", "malakoff-2022-2023", "-f", "csv", "-o", str(target))

    assert result.exit_code == 1
    assert "malakoff-2022-2023" in result.stderr
    assert CAMPAIGN in result.stderr
    assert not target.exists()


def test_unknown_format_is_bad_input(seeded: Dacapo) -> None:
    result = seeded("report", CAMPAIGN, "--format", "pdf")

    assert result.exit_code == 2
    assert "table, csv, json, html" in result.stderr
