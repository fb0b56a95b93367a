"""Staff following dossiers through ``dacapo dossier`` and ``dacapo audit``.

The data directory is seeded through the store (the bundled campaign, complete
families), as ``campaign load`` and ``family import`` would leave it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Collection
from pathlib import Path

import pytest
from sqlalchemy import text

from dacapo.store.database import open_database
from tests.e2e.conftest import Result
from tests.integration.ready_dossiers import load_bundled_campaign, seed_family

Dacapo = Callable[..., Result]
OPEN = "2023-05-15T10:00:00+02:00"
CLOSED = "2023-05-25T00:00:00+02:00"
LEA, HUGO = "malakoff-2023-2024-S0100", "malakoff-2023-2024-S0101"
ANNE = "guardian:f0100.anne@example.org"
CLOSED_SENTENCE = (
    "La période « Réinscriptions administratives en ligne » est close depuis le "
    "25/05/2023 à 00:00 ; le personnel peut agir en indiquant un motif."
)


def _data_dir() -> Path:
    return Path(os.environ["DACAPO_DATA_DIR"])


def _seed(*, without: Collection[str] = ()) -> None:
    db = open_database(None, _data_dir())
    try:
        load_bundled_campaign(db)
        seed_family(db, without=without)
    finally:
        db.dispose()


def _sql(statement: str) -> None:
    db = open_database(None, _data_dir())
    try:
        with db.engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        db.dispose()


@pytest.fixture
def seeded(dacapo: Dacapo) -> Dacapo:
    _seed()
    return dacapo


def _advance(dacapo: Dacapo, now: str, ref: str, event: str, *options: str) -> Result:
    return dacapo("--now", now, "dossier", "advance", ref, event, *options)


# Advancing


def test_advance_walks_to_confirmed_and_the_audit_lists_each_step(seeded: Dacapo) -> None:
    for event in ("verify_identity", "supply_documents"):
        assert _advance(seeded, OPEN, LEA, event, "--actor", ANNE).exit_code == 0
    last = _advance(seeded, OPEN, LEA, "accept_rules", "--actor", ANNE)
    assert last.exit_code == 0, last.stderr
    assert last.stdout.splitlines() == [
        f"{LEA}: documents_supplied → rules_accepted",
        f"{LEA}: rules_accepted → confirmed",
        "2 message(s) queued",
    ]
    audit = seeded("dossier", "audit", LEA)
    assert audit.exit_code == 0
    assert f"{LEA}: 4 audit row(s), now confirmed" in audit.stdout
    assert "#1 verify_identity: invited → identity_verified" in audit.stdout
    assert "#4 confirm: rules_accepted → confirmed" in audit.stdout
    assert "effective 2023-05-15 10:00:00 Europe/Paris (2023-05-15 08:00:00 UTC)" in audit.stdout
    assert "by guardian f0100.anne@example.org" in audit.stdout
    assert "by system dacapo" in audit.stdout
    rows = json.loads(seeded("dossier", "audit", LEA, "--json").stdout)
    assert [(r["seq"], r["event"], r["role"]) for r in rows] == [
        (1, "verify_identity", "guardian"),
        (2, "supply_documents", "guardian"),
        (3, "accept_rules", "guardian"),
        (4, "confirm", "system"),
    ]
    assert rows[0]["effective_at"] == "2023-05-15T10:00:00+02:00"
    assert rows[0]["effective_at_utc"] == "2023-05-15T08:00:00+00:00"
    assert rows[0]["simulated"] is True  # --now: a what-if clock


def test_after_the_close_families_are_refused_and_staff_need_a_reason(seeded: Dacapo) -> None:
    family = _advance(seeded, CLOSED, LEA, "verify_identity", "--actor", ANNE)
    assert family.exit_code == 1
    assert CLOSED_SENTENCE in family.stderr
    staff = _advance(seeded, CLOSED, LEA, "verify_identity")
    assert staff.exit_code == 1
    assert CLOSED_SENTENCE in staff.stderr
    excused = _advance(seeded, CLOSED, LEA, "verify_identity", "--reason", "courrier du 20/05")
    assert excused.exit_code == 0, excused.stderr
    assert excused.stdout.startswith(f"{LEA}: invited → identity_verified")
    audit = json.loads(seeded("dossier", "audit", LEA, "--json").stdout)
    assert [(r["actor"], r["reason"]) for r in audit] == [("secretariat", "courrier du 20/05")]


def test_a_missing_document_refuses_the_step_with_every_french_reason(dacapo: Dacapo) -> None:
    _seed(without={"payment_form", "id_photo"})
    assert _advance(dacapo, OPEN, LEA, "verify_identity").exit_code == 0
    refused = _advance(dacapo, OPEN, LEA, "supply_documents")
    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert refused.stderr.splitlines() == [
        "error: Cannot supply_documents: 2 unmet requirement(s):",
        "  - Formulaire de modalité de paiement complété et signé manquant : "
        "Formulaire de modalité de paiement signé",
        "  - Photo d'identité récente de l'élève manquante (Léa Durand) : "
        "Photo d'identité de moins d'un an",
    ]
    show = dacapo("--now", OPEN, "dossier", "show", LEA)
    assert "state      identity_verified (Coordonnées vérifiées)" in show.stdout
    assert "Next step: supply_documents (blocked)" in show.stdout


def test_an_unknown_event_or_dossier_is_refused_with_exit_1(seeded: Dacapo) -> None:
    wrong = _advance(seeded, OPEN, LEA, "confirm")
    assert wrong.exit_code == 1
    assert "Event 'confirm' is not allowed from state 'invited'" in wrong.stderr
    assert seeded("dossier", "show", "malakoff-2023-2024-S9999").exit_code == 1


def test_withdraw_then_reopen_with_a_new_deadline(seeded: Dacapo) -> None:
    assert seeded("--now", OPEN, "dossier", "withdraw", HUGO, "--actor", ANNE).exit_code == 0
    reopened = seeded(
        "--now", CLOSED, "dossier", "reopen", HUGO, "--reason", "erreur", "--until", "31/05/2023"
    )
    assert reopened.exit_code == 0, reopened.stderr
    assert f"{HUGO}: withdrawn → invited" in reopened.stdout
    assert f"{HUGO}: deadline: (none) → 2023-05-31" in reopened.stdout
    family = _advance(seeded, CLOSED, HUGO, "verify_identity", "--actor", ANNE)
    assert family.exit_code == 0, family.stderr
    shown = json.loads(seeded("dossier", "show", HUGO, "--json").stdout)
    assert (shown["deadline"], shown["state"]) == ("2023-05-31", "identity_verified")


def test_extend_refuses_a_date_before_the_close(seeded: Dacapo) -> None:
    early = seeded("dossier", "extend", LEA, "--until", "2023-05-20", "--reason", "x")
    assert early.exit_code == 2
    assert "before the window's close (24/05/2023)" in early.stderr
    assert seeded("dossier", "extend", LEA, "--until", "2023-5-31", "--reason", "x").exit_code == 2


# Inspecting


def test_check_on_a_sibling_shows_the_family_documents_as_supplied(seeded: Dacapo) -> None:
    for event in ("verify_identity", "supply_documents"):
        assert _advance(seeded, OPEN, LEA, event).exit_code == 0
    check = seeded("--now", OPEN, "dossier", "check", HUGO, "--all")
    assert check.exit_code == 0
    assert f"{HUGO}: Hugo Durand — state: invited (Invité à se réinscrire)" in check.stdout
    assert (
        "✔ Formulaire de modalité de paiement complété et signé : "
        "Formulaire de modalité de paiement fourni, en attente de vérification"
    ) in check.stdout
    assert "✔ Justificatif de quotient familial : Carte Quotient Familial" in check.stdout
    data = json.loads(seeded("--now", OPEN, "dossier", "check", HUGO, "--json").stdout)
    statuses = {f["code"]: f["status"] for f in data["findings"]}
    assert statuses["documents.present:payment_form"] == "met"
    assert statuses["documents.present:income_evidence"] == "met"
    assert statuses["house_rules.missing"] == "unmet"
    assert data["next_event"] == "verify_identity"


def test_show_displays_mobiles_nationally_and_the_events_allowed(seeded: Dacapo) -> None:
    show = seeded("--now", OPEN, "dossier", "show", LEA)
    assert show.exit_code == 0
    assert "guardian1  Anne Durand, f0100.anne@example.org, 06 12 34 56 78" in show.stdout
    assert "Allowed events now: verify_identity, withdraw, lapse" in show.stdout
    data = json.loads(seeded("--now", OPEN, "dossier", "show", LEA, "--json").stdout)
    assert data["guardians"][0]["mobile"] == "06 12 34 56 78"
    assert data["guardians"][0]["mobile_e164"] == "+33612345678"
    assert data["state_label"] == "Invité à se réinscrire"
    assert data["blocking"] == []


def test_list_filters_and_treats_a_sql_looking_search_as_text(seeded: Dacapo) -> None:
    assert _advance(seeded, OPEN, LEA, "verify_identity").exit_code == 0
    invited = json.loads(seeded("dossier", "list", "--state", "invited", "--json").stdout)
    assert [(d["ref"], d["student_name"], d["family_ref"]) for d in invited] == [
        (HUGO, "Hugo Durand", "F0100")
    ]
    hostile = seeded("dossier", "list", "--search", "'; DROP TABLE dossier; --", "--json")
    assert (hostile.exit_code, json.loads(hostile.stdout)) == (0, [])
    assert len(json.loads(seeded("dossier", "list", "--search", "LÉA", "--json").stdout)) == 1
    missing = seeded("--now", OPEN, "dossier", "list", "--missing", "house_rules", "--json")
    assert [d["ref"] for d in json.loads(missing.stdout)] == [LEA, HUGO]
    table = seeded("dossier", "list", "--campaign", "malakoff-2023-2024")
    assert "2 dossier(s)" in table.stdout
    assert seeded("dossier", "list", "--missing", "id_foto").exit_code == 2


# Correcting


def test_update_refuses_a_mobile_followed_by_a_word(seeded: Dacapo) -> None:
    result = seeded("dossier", "update", LEA, "--set", "guardian1.mobile=06 12 34 56 78 mère")
    assert result.exit_code == 2
    assert (
        "error: guardian1.mobile: Numéro SMS : uniquement les 10 chiffres du mobile — "
        "« 06 12 34 56 78 mère » n'est pas un numéro de mobile"
    ) in result.stderr


def test_update_stores_the_mobile_and_audits_the_change(seeded: Dacapo) -> None:
    args = ("dossier", "update", LEA, "--set", "guardian1.mobile=06 98 76 54 32")
    updated = seeded("--now", OPEN, *args, "--reason", "appel")
    assert updated.exit_code == 0, updated.stderr
    assert f"{LEA}: guardian1.mobile: +33612345678 → +33698765432" in updated.stdout
    assert "06 98 76 54 32" in seeded("dossier", "show", HUGO).stdout  # the sibling too
    (row,) = json.loads(seeded("dossier", "audit", LEA, "--json").stdout)
    assert (row["event"], row["from_state"], row["to_state"]) == ("update", "invited", "invited")
    assert row["reason"] == "guardian1.mobile: +33612345678 → +33698765432 — appel"
    late = seeded("--now", CLOSED, *args, "--actor", ANNE)
    assert late.exit_code == 1
    assert CLOSED_SENTENCE in late.stderr


def test_answer_refuses_an_unknown_preference_listing_the_choices(seeded: Dacapo) -> None:
    result = seeded("--now", OPEN, "dossier", "answer", LEA, "--preferences", "violon,tuba")
    assert result.exit_code == 2
    assert "choix inconnu « tuba »; au choix : Éveil musical, Éveil danse, Violon" in result.stderr
    answered = seeded(
        "--now", OPEN, "dossier", "answer", LEA, "--preferences", "violon,piano", "--support", "oui"
    )
    assert answered.exit_code == 0, answered.stderr
    assert f"{LEA}: answers.preferences: (none) → Violon, Piano" in answered.stdout


# The audit trail


def test_audit_verify_names_a_row_edited_in_sql(seeded: Dacapo) -> None:
    for event in ("verify_identity", "supply_documents"):
        assert _advance(seeded, OPEN, LEA, event).exit_code == 0
    intact = seeded("audit", "verify")
    assert (intact.exit_code, intact.stdout.strip()) == (
        0,
        "Audit trail intact: 2 rows in 1 chains",
    )
    _sql("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2")
    broken = seeded("audit", "verify", "--campaign", "malakoff-2023-2024")
    assert broken.exit_code == 1
    assert (
        f"Audit trail broken: dossier {LEA}, audit row seq 2 (id 2): "
        "hash does not match the row's content (row edited)"
    ) in broken.stderr
