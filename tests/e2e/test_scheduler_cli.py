"""Staff looking at the scheduler's plan and status, and cron running its ticks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.e2e.conftest import ROOT, Result

Dacapo = Callable[..., Result]
BUNDLED = str(ROOT / "campaign-2023-2024.yaml")
SAMPLE = str(ROOT / "tests" / "data" / "csv" / "malakoff-sample.csv")
CAMPAIGN = "malakoff-2023-2024"


def _set_up(dacapo: Dacapo) -> None:
    now = "2023-05-02T09:00:00+02:00"
    assert dacapo("--now", now, "family", "import", SAMPLE, "--site", "malakoff").exit_code == 0
    loaded = dacapo("--now", now, "campaign", "load", BUNDLED)
    assert loaded.exit_code == 0, loaded.stderr
    assert "scheduled items planned: open:reenrolment" in loaded.stdout


def test_the_plan_lists_the_coming_work_in_local_time_and_utc(dacapo: Dacapo) -> None:
    _set_up(dacapo)
    shown = dacapo("scheduler", "plan", CAMPAIGN)
    assert shown.exit_code == 0, shown.stderr
    assert "2023-05-24 09:00 CEST" in shown.stdout
    assert "2023-05-24 07:00 UTC" in shown.stdout
    plan = json.loads(dacapo("scheduler", "plan", CAMPAIGN, "--json").stdout)
    close = next(p for p in plan if p["key"] == "close:reenrolment")
    assert (close["due_local"], close["due_at"]) == (
        "2023-05-25 00:00 CEST",
        "2023-05-24T22:00:00+00:00",
    )
    unknown = dacapo("scheduler", "plan", "nowhere-2023")
    assert unknown.exit_code == 1
    assert "no campaign 'nowhere-2023' loaded" in unknown.stderr


def test_tick_does_the_due_work_once_and_status_says_so(dacapo: Dacapo, tmp_path: Path) -> None:
    _set_up(dacapo)
    before = dacapo("scheduler", "status")
    assert "Leader: none has run yet." in before.stdout
    assert "Next: malakoff-2023-2024 open:reenrolment at 2023-05-10 00:00 CEST" in before.stdout
    first = dacapo("scheduler", "tick", "--now", "2023-05-10T08:00:00+02:00")
    assert first.exit_code == 0, first.stderr
    assert "done     malakoff-2023-2024 open:reenrolment" in first.stdout
    messages = list((tmp_path / "data" / "outbox").rglob("*.eml"))
    assert messages  # invitations, through the file channel
    again = dacapo("scheduler", "tick", "--now", "2023-05-10T08:05:00+02:00")
    assert "Nothing due at 2023-05-10 06:05 UTC." in again.stdout
    assert "0 messages sent" in again.stdout
    after = json.loads(dacapo("scheduler", "status", "--json").stdout)
    assert after["leader"]["alive"] is False  # a tick lets go when it is done
    assert after["leader"]["last_round_now"] == "2023-05-10T06:05:00+00:00"
    assert after["next"]["key"] == "reminder:one_week_left"


def test_run_refuses_a_simulated_clock(dacapo: Dacapo) -> None:
    refused = dacapo("--now", "2023-05-10T08:00:00+02:00", "scheduler", "run")
    assert refused.exit_code == 2
    assert "scheduler tick" in refused.stderr
    naive = dacapo("scheduler", "tick", "--now", "2023-05-10T08:00:00")
    assert naive.exit_code == 2
    assert "has no UTC offset" in naive.stderr
