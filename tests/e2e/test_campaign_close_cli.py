"""Staff closing a window with ``dacapo campaign close``: preview, refusal, the real thing."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from dacapo.store.database import open_database
from tests.e2e.conftest import Result
from tests.integration.ready_dossiers import load_bundled_campaign, seed_family

Dacapo = Callable[..., Result]
CAMPAIGN = "malakoff-2023-2024"
LEA, HUGO, ZOE = (f"{CAMPAIGN}-{s}" for s in ("S0100", "S0101", "S0200"))
OPEN = "2023-05-15T10:00:00+02:00"
LAST_MINUTE = "2023-05-24T23:59:00+02:00"
DAYS_LATE = "2023-05-28T09:00:00+02:00"
CLOSING = "2023-05-25 00:00:00 Europe/Paris = 2023-05-24 22:00:00 UTC"


@pytest.fixture
def seeded(dacapo: Dacapo) -> Dacapo:
    """Three invited dossiers (Léa, Hugo; Zoé); Zoé has until 31 May."""
    db = open_database(None, Path(os.environ["DACAPO_DATA_DIR"]))
    try:
        load_bundled_campaign(db)
        seed_family(db)
        seed_family(db, "F0200", [("S0200", "Zoé")], last_name="Martin")
    finally:
        db.dispose()
    extend = ("dossier", "extend", ZOE, "--until", "2023-05-31", "--reason", "Hospitalisée")
    assert dacapo("--now", OPEN, *extend).exit_code == 0
    return dacapo


def _close(dacapo: Dacapo, now: str, *options: str) -> Result:
    return dacapo("--now", now, "campaign", "close", CAMPAIGN, "--window", "reenrolment", *options)


def test_a_dry_run_shows_per_state_what_would_lapse_and_the_extensions_and_writes_nothing(
    seeded: Dacapo,
) -> None:
    assert seeded("--now", OPEN, "dossier", "advance", HUGO, "verify_identity").exit_code == 0
    result = _close(seeded, DAYS_LATE, "--dry-run")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert f"{CAMPAIGN}: window reenrolment closed at {CLOSING}" in out
    assert "Would lapse: 2 dossiers" in out
    assert "│ reenrolment │ identity_verified │ lapsed    │ 1        │" in out
    assert "│ reenrolment │ invited           │ lapsed    │ 1        │" in out
    assert "Kept open by an extension: 1 dossier" in out
    assert "│ 31/05/2023 │ 2023-06-01 00:00         │ 2023-05-31 22:00 │ 1        │" in out
    assert out.rstrip().endswith(
        "Would lapse 2 dossiers and queue 4 lapse notices (1 chunk).\nDry run: nothing written."
    )
    as_json = json.loads(_close(seeded, DAYS_LATE, "--dry-run", "--json").stdout)
    assert (as_json["lapsed"], as_json["kept_with_extension"], as_json["notices"]) == (2, 1, 4)
    assert as_json["closes_at"] == "2023-05-24T22:00:00+00:00"
    assert as_json["extensions"][0]["deadline"] == "2023-05-31"
    assert json.loads(seeded("outbox", "list", "--json").stdout) == []
    assert "now invited" in seeded("dossier", "audit", LEA).stdout


def test_closing_before_the_window_ends_is_refused_naming_the_closing_instant(
    seeded: Dacapo,
) -> None:
    result = _close(seeded, LAST_MINUTE)
    assert result.exit_code == 2
    assert f"is still open: it closes at {CLOSING}. It cannot be closed before." in result.stderr
    assert _close(seeded, LAST_MINUTE, "--dry-run").exit_code == 2
    unknown = seeded("--now", DAYS_LATE, "campaign", "close", CAMPAIGN, "--window", "summer")
    assert unknown.exit_code == 1
    assert "its windows: reenrolment, new_pupils" in unknown.stderr
    assert json.loads(seeded("outbox", "list", "--json").stdout) == []


def test_closing_lapses_each_open_dossier_once_stamped_with_the_closing_instant(
    seeded: Dacapo,
) -> None:
    result = _close(seeded, DAYS_LATE)
    assert result.exit_code == 0, result.stderr
    assert "Lapsed: 2 dossiers" in result.stdout
    assert "Lapsed 2 dossiers and queued 4 lapse notices (1 chunk)." in result.stdout
    [last] = json.loads(seeded("dossier", "audit", HUGO, "--json").stdout)
    assert (last["event"], last["from_state"], last["to_state"]) == ("lapse", "invited", "lapsed")
    assert (last["actor"], last["role"]) == ("dacapo", "system")
    assert last["effective_at_utc"] == "2023-05-24T22:00:00+00:00"
    assert last["simulated"]  # --now: a what-if run
    assert "now invited" in seeded("dossier", "audit", ZOE).stdout  # extended: kept
    queued = json.loads(seeded("outbox", "list", "--json").stdout)
    assert sorted(row["recipient"] for row in queued) == [
        "f0100.anne@example.org",
        "f0100.anne@example.org",
        "f0100.paul@example.org",
        "f0100.paul@example.org",
    ]
    verify = seeded("audit", "verify")
    assert verify.exit_code == 0, verify.stderr
    again = _close(seeded, DAYS_LATE)
    assert again.exit_code == 0
    assert "Nothing left to lapse" in again.stdout
    assert len(json.loads(seeded("outbox", "list", "--json").stdout)) == 4
