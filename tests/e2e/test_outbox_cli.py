"""Staff sending and following messages through ``dacapo outbox``.

Messages are queued by the CLI itself (``dossier advance``); without
``DACAPO_SMTP_HOST`` they go to ``.eml`` files under the data directory.
"""

from __future__ import annotations

import email
import json
import os
from collections.abc import Callable
from email.policy import default as default_policy
from pathlib import Path

import pytest

from dacapo.store.database import open_database
from tests.e2e.conftest import Result
from tests.integration.ready_dossiers import load_bundled_campaign, seed_family

Dacapo = Callable[..., Result]
OPEN = "2023-05-15T10:00:00+02:00"
LEA = "malakoff-2023-2024-S0100"
ANNE = "guardian:f0100.anne@example.org"


def _data_dir() -> Path:
    return Path(os.environ["DACAPO_DATA_DIR"])


@pytest.fixture
def queued(dacapo: Dacapo) -> Dacapo:
    """Léa's dossier confirmed through the CLI: two confirmations queued."""
    db = open_database(None, _data_dir())
    try:
        load_bundled_campaign(db)
        seed_family(db, pupils=[("S0100", "Léa")])
    finally:
        db.dispose()
    for event in ("verify_identity", "supply_documents", "accept_rules"):
        result = dacapo("--now", OPEN, "dossier", "advance", LEA, event, "--actor", ANNE)
        assert result.exit_code == 0, result.stderr
    return dacapo


def _list(dacapo: Dacapo, *options: str) -> list[dict[str, object]]:
    result = dacapo("outbox", "list", "--json", *options)
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert isinstance(rows, list)
    return rows


def test_dispatch_writes_eml_files_by_default_and_then_has_nothing_left_to_send(
    queued: Dacapo,
) -> None:
    first = queued("--now", OPEN, "outbox", "dispatch")
    second = queued("--now", OPEN, "outbox", "dispatch")

    assert first.exit_code == 0, first.stderr
    assert first.stdout.startswith("Sent 2, retried 0, failed 0")
    assert second.stdout.startswith("Sent 0, retried 0, failed 0")
    files = sorted((_data_dir() / "outbox").glob("*.eml"))
    assert len(files) == 2
    message = email.message_from_bytes(files[0].read_bytes(), policy=default_policy)
    assert "confirmée" in str(message["Subject"])
    assert [r["status"] for r in _list(queued)] == ["sent", "sent"]


def test_list_filters_by_status_and_show_previews_the_message(queued: Dacapo) -> None:
    pending = _list(queued, "--status", "pending")
    shown = queued("--now", OPEN, "outbox", "show", str(pending[0]["id"]))
    as_json = json.loads(queued("--now", OPEN, "outbox", "show", "1", "--json").stdout)

    assert len(pending) == 2
    assert _list(queued, "--status", "sent") == []
    assert shown.exit_code == 0, shown.stderr
    assert "Subject: Votre réinscription 2023/2024 est confirmée" in shown.stdout
    assert "Léa Durand" in shown.stdout
    assert as_json["preview"]["html"].count("Léa Durand") >= 1
    assert queued("outbox", "list", "--status", "lost").exit_code == 2


def test_a_cancelled_message_is_never_sent_and_a_failed_one_can_be_retried(
    queued: Dacapo,
) -> None:
    first, second = (r["id"] for r in _list(queued))

    cancelled = queued("outbox", "cancel", str(first))
    refused = queued("outbox", "retry", str(second))  # pending, not failed
    dispatched = queued("--now", OPEN, "outbox", "dispatch")

    assert cancelled.exit_code == 0, cancelled.stderr
    assert refused.exit_code == 1
    assert "it is pending" in refused.stderr
    assert dispatched.stdout.startswith("Sent 1,")
    assert [r["status"] for r in _list(queued)] == ["cancelled", "sent"]
    assert queued("outbox", "cancel", str(second)).exit_code == 1  # sent: too late
    assert queued("outbox", "show", "999").exit_code == 1


def test_a_failed_message_goes_again_after_retry(queued: Dacapo) -> None:
    # A template that does not exist: rendering fails, the row fails for good.
    db = open_database(None, _data_dir())
    try:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("UPDATE outbox SET template = 'nonexistent' WHERE id = 1")
    finally:
        db.dispose()
    failed = queued("--now", OPEN, "outbox", "dispatch")
    row = _list(queued, "--status", "failed")[0]
    db = open_database(None, _data_dir())
    try:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("UPDATE outbox SET template = 'confirmation' WHERE id = 1")
    finally:
        db.dispose()
    retried = queued("--now", OPEN, "outbox", "retry", "1")
    again = queued("--now", OPEN, "outbox", "dispatch")

    assert failed.stdout.startswith("Sent 1, retried 0, failed 1")
    assert "nonexistent" in str(row["last_error"])
    assert retried.exit_code == 0, retried.stderr
    assert again.stdout.startswith("Sent 1,")
    assert [r["status"] for r in _list(queued)] == ["sent", "sent"]


def test_dispatch_console_prints_the_messages(queued: Dacapo) -> None:
    result = queued("--now", OPEN, "outbox", "dispatch", "--channel", "console", "--limit", "1")

    assert result.exit_code == 0, result.stderr
    assert "Subject: Votre réinscription 2023/2024 est confirmée" in result.stdout
    assert "Sent 1, retried 0, failed 0" in result.stdout
