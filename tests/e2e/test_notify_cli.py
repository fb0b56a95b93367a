"""Staff previewing messages with ``dacapo notify preview``, and wrong notification settings.

The data directory is seeded through the store (the bundled campaign, the
Durand family without its payment form nor the pupils' photos), as ``campaign
load`` and ``family import`` would leave it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from dacapo.store.database import open_database
from tests.e2e.conftest import Result
from tests.integration.ready_dossiers import load_bundled_campaign, seed_family

Dacapo = Callable[..., Result]
NOW = "2023-05-15T10:00:00+02:00"
LEA, HUGO = "malakoff-2023-2024-S0100", "malakoff-2023-2024-S0101"
SUBJECT = "Subject: Rappel : réinscription 2023/2024 à terminer avant le mercredi 24 mai 2023"


@pytest.fixture
def seeded(dacapo: Dacapo) -> Dacapo:
    db = open_database(None, Path(os.environ["DACAPO_DATA_DIR"]))
    try:
        load_bundled_campaign(db)
        seed_family(db, without=("payment_form", "id_photo"))
    finally:
        db.dispose()
    return dacapo


def preview(dacapo: Dacapo, *args: str) -> Result:
    return dacapo("--now", NOW, "notify", "preview", *args)


class TestPreviewByEmail:
    def test_a_reminder_shows_the_french_subject_the_pupil_and_what_is_missing(
        self, seeded: Dacapo
    ) -> None:
        result = preview(seeded, "reminder", "--dossier", LEA)
        assert result.exit_code == 0, result.stderr
        out = result.stdout
        assert f"reminder (email) about {LEA}, to Anne Durand <f0100.anne@example.org>" in out
        assert SUBJECT in out
        assert "Bonjour Anne Durand," in out
        assert "de Léa Durand n'est pas encore terminée" in out
        assert "jusqu'au mercredi 24 mai 2023 à 23 h 59" in out
        assert "Pour la famille (menu « Famille ») :" in out
        assert "  - Formulaire de modalité de paiement complété et signé manquant" in out
        assert "Pour Léa Durand (Musique, 1er cycle, Piano) :" in out
        assert "  - Photo d'identité récente de l'élève manquante (Léa Durand)" in out
        assert "Hugo" not in out
        assert "(an HTML version exists" in out

    def test_with_family_the_reminder_lists_every_pupil_once(self, seeded: Dacapo) -> None:
        result = preview(seeded, "reminder", "--dossier", LEA, "--family")
        assert result.exit_code == 0, result.stderr
        assert f"about {LEA}, {HUGO}," in result.stdout
        assert "de Léa Durand et Hugo Durand n'est pas encore terminée" in result.stdout
        assert result.stdout.count("Formulaire de modalité de paiement complété") == 1
        assert "  - Photo d'identité récente de l'élève manquante (Hugo Durand)" in result.stdout

    def test_the_message_is_addressed_to_the_guardian_given(self, seeded: Dacapo) -> None:
        result = preview(seeded, "reminder", "--dossier", LEA, "--to", "F0100.Paul@example.org")
        assert result.exit_code == 0, result.stderr
        assert "Bonjour Paul Durand," in result.stdout

    def test_html_shows_the_html_body(self, seeded: Dacapo) -> None:
        result = preview(seeded, "reminder", "--dossier", LEA, "--html")
        assert result.exit_code == 0, result.stderr
        assert "<html" in result.stdout.lower()
        assert "Léa Durand" in result.stdout

    def test_a_rejected_document_shows_its_reason(self, seeded: Dacapo) -> None:
        reason = "Carte Quotient Familial expirée le 31/12/2022"
        result = preview(
            seeded, "document_rejected", "--dossier", LEA, "--reason", reason,
            "--document", "Carte Quotient Familial",
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        assert f"Motif : {reason}" in result.stdout
        assert "Le document « Carte Quotient Familial »" in result.stdout

    def test_an_extended_deadline_is_the_one_shown(self, seeded: Dacapo) -> None:
        extend = ("dossier", "extend", LEA, "--until", "2023-05-31", "--reason", "hospitalisation")
        assert seeded("--now", NOW, *extend).exit_code == 0
        result = preview(seeded, "reminder", "--dossier", LEA)
        assert "avant le mercredi 31 mai 2023 à 23 h 59" in result.stdout


class TestPreviewBySms:
    def test_an_sms_shows_its_text_and_segments(self, seeded: Dacapo) -> None:
        result = preview(seeded, "reminder", "--dossier", LEA, "--channel", "sms")
        assert result.exit_code == 0, result.stderr
        assert "to Anne Durand <+33612345678>" in result.stdout
        assert "la réinscription de Léa n'est pas terminée" in result.stdout
        assert "Date limite : 24/05 à 23 h 59" in result.stdout
        assert result.stdout.rstrip().endswith("1 segment(s), GSM-7")

    def test_a_campaign_template_outside_gsm7_is_counted_in_ucs2(
        self, seeded: Dacapo, tmp_path: Path
    ) -> None:
        folder = tmp_path / "templates"
        folder.mkdir()
        (folder / "reminder.sms.j2").write_text(
            "« {{ pupils[0].first_name }} » : réinscription à finir avant le {{ deadline.short }}."
        )
        result = preview(
            seeded, "reminder", "--dossier", LEA, "--channel", "sms", "--templates", str(folder)
        )
        assert result.exit_code == 0, result.stderr
        assert "« Léa » : réinscription à finir avant le 24/05 à 23 h 59." in result.stdout
        assert "1 segment(s), UCS-2 (because of « »)" in result.stdout


class TestPreviewRefusals:
    def test_an_unknown_template_exits_2_and_lists_the_templates(self, seeded: Dacapo) -> None:
        result = preview(seeded, "remnder", "--dossier", LEA)
        assert result.exit_code == 2
        assert "unknown template 'remnder'; did you mean 'reminder'?" in result.stderr
        assert "confirmation, deferred_documents, document_rejected, invitation" in result.stderr

    def test_an_unknown_dossier_exits_1(self, seeded: Dacapo) -> None:
        result = preview(seeded, "reminder", "--dossier", "malakoff-2023-2024-S9999")
        assert result.exit_code == 1
        assert "No dossier 'malakoff-2023-2024-S9999'" in result.stderr

    def test_an_address_of_no_one_in_the_family_exits_2(self, seeded: Dacapo) -> None:
        result = preview(seeded, "reminder", "--dossier", LEA, "--to", "stranger@example.org")
        assert result.exit_code == 2
        assert "'stranger@example.org' is no address of family F0100" in result.stderr

    def test_an_unknown_channel_is_a_usage_error(self, seeded: Dacapo) -> None:
        result = preview(seeded, "reminder", "--dossier", LEA, "--channel", "fax")
        assert result.exit_code == 2


class TestWrongSettings:
    @pytest.mark.parametrize(
        ("name", "value", "message", "command"),
        [
            (
                "SMTP_PORT",
                "twenty-five",
                "DACAPO_SMTP_PORT: Input should be a valid integer,"
                " unable to parse string as an integer",
                ("dossier", "list"),
            ),
            (
                "SMTP_SECURITY",
                "ssl",
                "DACAPO_SMTP_SECURITY: Input should be 'none', 'starttls' or 'tls'",
                ("campaign", "list"),
            ),
            (
                "SMS_SENDER",
                "Conservatoire de Malakoff",
                "DACAPO_SMS_SENDER: an SMS sender ID is 1 to 11 letters or digits",
                ("dossier", "list"),
            ),
            (
                "SMS_URL",
                "sms.example.org",
                "DACAPO_SMS_URL: give an http:// or https:// URL",
                ("campaign", "list"),
            ),
        ],
    )
    def test_a_wrong_setting_stops_the_command_naming_its_variable(
        self,
        dacapo: Dacapo,
        monkeypatch: pytest.MonkeyPatch,
        name: str,
        value: str,
        message: str,
        command: tuple[str, ...],
    ) -> None:
        monkeypatch.setenv(f"DACAPO_{name}", value)
        result = dacapo(*command)
        assert result.exit_code == 2
        assert result.stderr.startswith(f"error: {message}")
        assert "Traceback" not in result.stderr
