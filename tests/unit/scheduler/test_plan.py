"""What a campaign plans: each window's opening and closing, each reminder, once each."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from dacapo.campaigns.schema import Campaign
from dacapo.scheduler.plan import planned_work

BUNDLED = Path(__file__).parents[3] / "campaign-2023-2024.yaml"
UTC = dt.UTC


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return Campaign.model_validate(YAML(typ="safe").load(BUNDLED.read_text()))


def test_the_bundled_campaign_plans_its_windows_and_reminders(campaign: Campaign) -> None:
    plan = {p.key: p for p in planned_work(campaign)}
    # 10 May 00:00 Paris (UTC+2) opens; the first instant after 24 May closes.
    assert plan["open:reenrolment"].due_at == dt.datetime(2023, 5, 9, 22, 0, tzinfo=UTC)
    assert plan["close:reenrolment"].due_at == dt.datetime(2023, 5, 24, 22, 0, tzinfo=UTC)
    assert plan["open:new_pupils"].due_at == dt.datetime(2023, 6, 4, 22, 0, tzinfo=UTC)
    assert plan["close:new_pupils"].due_at == dt.datetime(2023, 6, 30, 22, 0, tzinfo=UTC)
    # one_week_left: 7 days before 24 May at 10:00 Paris; skipped 12 h later.
    week = plan["reminder:one_week_left"]
    assert week.due_at == dt.datetime(2023, 5, 17, 8, 0, tzinfo=UTC)
    assert week.late_after == dt.datetime(2023, 5, 17, 20, 0, tzinfo=UTC)
    # last_day at 09:00 on 24 May: 12 h of grace end before the window does.
    last = plan["reminder:last_day"]
    assert last.due_at == dt.datetime(2023, 5, 24, 7, 0, tzinfo=UTC)
    assert last.late_after == dt.datetime(2023, 5, 24, 19, 0, tzinfo=UTC)
    assert [p.due_at for p in planned_work(campaign)] == sorted(p.due_at for p in plan.values())


def changed(
    campaign: Campaign, reminders: dict[int, dict[str, object]], **windows: object
) -> Campaign:
    """The campaign with some reminders changed (by position), and the reenrolment window."""
    listed = [r.model_copy(update=reminders.get(i, {})) for i, r in enumerate(campaign.reminders)]
    window = campaign.windows["reenrolment"].model_copy(update=windows)
    update = {"reminders": listed, "windows": {**campaign.windows, "reenrolment": window}}
    return campaign.model_copy(update=update)


def test_a_reminder_never_outlives_its_window(campaign: Campaign) -> None:
    # last_day at 20:00: 12 h of grace would pass midnight
    late = changed(campaign, {2: {"at": dt.time(20, 0)}})
    last = {p.key: p for p in planned_work(late)}["reminder:last_day"]
    assert last.due_at == dt.datetime(2023, 5, 24, 18, 0, tzinfo=UTC)
    assert last.late_after == dt.datetime(2023, 5, 24, 22, 0, tzinfo=UTC)  # the window's end


def test_a_reminder_on_the_october_time_change_has_one_instant(campaign: Campaign) -> None:
    # 29 October 2023 (7 days before 5 November): 03:00 CEST becomes 02:00 CET.
    autumn = changed(
        campaign,
        {
            0: {"days_before_close": 7, "at": dt.time(1, 30)},  # before the change: UTC+2
            1: {"days_before_close": 7, "at": dt.time(3, 30)},  # after it: UTC+1
        },
        opens=dt.date(2023, 10, 16),
        closes=dt.date(2023, 11, 5),
    )
    plan = {p.key: p for p in planned_work(autumn)}
    assert plan["reminder:one_week_left"].due_at == dt.datetime(2023, 10, 28, 23, 30, tzinfo=UTC)
    assert plan["reminder:documents_missing"].due_at == dt.datetime(2023, 10, 29, 2, 30, tzinfo=UTC)
    keys = [p.key for p in planned_work(autumn)]
    assert len(keys) == len(set(keys))
