"""Administrators importing families, loading the campaign and following it from the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.e2e.conftest import ROOT, Result

Dacapo = Callable[..., Result]
BUNDLED = str(ROOT / "campaign-2023-2024.yaml")
SAMPLE = str(ROOT / "tests" / "data" / "csv" / "malakoff-sample.csv")
NOW = "2023-05-02T09:00:00+02:00"


def _set_up(dacapo: Dacapo) -> None:
    imported = dacapo("--now", NOW, "family", "import", SAMPLE, "--site", "malakoff")
    assert imported.exit_code == 0, imported.stderr
    assert "Imported 12 families (12 new, 0 updated, 0 unchanged), 20 pupils" in imported.stdout
    loaded = dacapo("--now", NOW, "campaign", "load", BUNDLED)
    assert loaded.exit_code == 0, loaded.stderr
    assert "Loaded malakoff-2023-2024 version 1: 20 dossiers opened (0 already open)" in (
        loaded.stdout
    )


def test_db_upgrade_creates_the_schema_then_says_it_is_up_to_date(dacapo: Dacapo) -> None:
    first = dacapo("db", "upgrade")
    assert first.exit_code == 0, first.stderr
    assert "upgraded from an empty database to revision" in first.stdout
    again = dacapo("db", "upgrade")
    assert "already at revision" in again.stdout


def test_campaign_status_counts_the_dossiers_opened_for_the_sample(dacapo: Dacapo) -> None:
    _set_up(dacapo)
    table = dacapo("campaign", "status", "malakoff-2023-2024")
    assert table.exit_code == 0, table.stderr
    assert "Invité à se réinscrire" in table.stdout
    status = json.loads(dacapo("campaign", "status", "malakoff-2023-2024", "--json").stdout)
    reenrolment = status["windows"][0]
    assert (status["version"], status["dossiers"], reenrolment["window"]) == (1, 20, "reenrolment")
    assert reenrolment["states"][0] == {
        "state": "invited",
        "label": "Invité à se réinscrire",
        "final": False,
        "dossiers": 20,
    }
    listed = json.loads(dacapo("campaign", "list", "--json").stdout)
    assert [(c["id"], c["dossiers"], c["in_progress"]) for c in listed] == [
        ("malakoff-2023-2024", 20, 20)
    ]


def test_loading_the_same_file_again_says_it_is_already_loaded(dacapo: Dacapo) -> None:
    _set_up(dacapo)
    again = dacapo("campaign", "load", BUNDLED)
    assert again.exit_code == 0
    assert "already loaded as version 1: 0 dossiers opened (20 already open)" in again.stdout


def test_a_dry_run_load_says_what_it_would_do_and_writes_nothing(dacapo: Dacapo) -> None:
    assert dacapo("family", "import", SAMPLE, "--site", "malakoff").exit_code == 0
    dry = dacapo("campaign", "load", BUNDLED, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "Would load malakoff-2023-2024 version 1: 20 dossiers would be opened" in dry.stdout
    assert "Dry run: nothing written." in dry.stdout
    status = dacapo("campaign", "status", "malakoff-2023-2024")
    assert status.exit_code == 1
    assert "No campaign 'malakoff-2023-2024'" in status.stderr


def test_family_export_gives_everything_held_with_accents_intact(dacapo: Dacapo) -> None:
    _set_up(dacapo)
    exported = {}
    for ref in ("F001", "F002", "F003"):
        result = dacapo("family", "export", ref, "--site", "malakoff", "--json")
        assert result.exit_code == 0, result.stderr
        exported[ref] = json.loads(result.stdout)
    assert "Zoé" in dacapo("family", "export", "F001", "--site", "malakoff").stdout
    dupont = exported["F001"]
    assert [s["first_name"] for s in dupont["students"]] == ["Zoé", "Léo", "Inès"]
    assert exported["F002"]["guardians"][0]["last_name"] == "N'Diaye"
    assert exported["F003"]["students"][0]["last_name"] == "Lefèvre-Durand"
    assert [d["state"] for d in dupont["dossiers"]] == ["invited"] * 3
    assert dupont["dossiers"][0]["answers"]["preferences"] == []
    assert [(a["event"], a["actor"]) for a in dupont["audit"]] == [("open", "secretariat")] * 3
    assert (dupont["documents"], dupont["outbox"]) == ([], [])


def test_exporting_an_unknown_family_is_refused(dacapo: Dacapo) -> None:
    _set_up(dacapo)
    result = dacapo("family", "export", "F999", "--site", "malakoff", "--json")
    assert result.exit_code == 1
    assert "No family 'F999' at site 'malakoff'" in result.stderr


def test_a_malformed_map_is_bad_usage(dacapo: Dacapo) -> None:
    result = dacapo("campaign", "load", BUNDLED, "--map", "identity_verified")
    assert result.exit_code == 2
    assert "write OLD=NEW" in result.stderr
