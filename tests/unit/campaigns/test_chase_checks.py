"""A deferred document's chase day: after the windows asking for it, before it is due."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from dacapo.campaigns.checks import check_campaign
from dacapo.campaigns.schema import Campaign
from dacapo.commands.campaign import read_campaign

BUNDLED = Path(__file__).parents[3] / "campaign-2023-2024.yaml"
CERTIFICATE = ("requirements", "documents", "medical_certificate", "deferred")


def changed(*, message: bool = True, **deferred: Any) -> Campaign:
    """The bundled campaign with the dance certificate's ``deferred`` changed
    (and without the ``deferred_documents`` message unless ``message``)."""
    data = read_campaign(BUNDLED).campaign.model_dump(by_alias=True)
    data["requirements"]["documents"]["medical_certificate"]["deferred"].update(deferred)
    if not message:
        del data["notifications"]["messages"]["deferred_documents"]
    return Campaign.model_validate(data)


def chase_problems(campaign: Campaign) -> list[tuple[tuple[str | int, ...], str]]:
    return [(loc, message) for loc, message in check_campaign(campaign) if loc[:4] == CERTIFICATE]


def test_the_bundled_chase_on_a_september_monday_passes() -> None:
    campaign = read_campaign(BUNDLED).campaign
    deferred = campaign.requirements.documents["medical_certificate"].deferred
    assert deferred is not None
    assert (deferred.chase_on, deferred.chase_at) == (dt.date(2023, 9, 11), dt.time(10, 0))
    assert chase_problems(campaign) == []


def test_a_chase_on_or_after_the_due_date_is_refused() -> None:
    assert chase_problems(changed(chase_on=dt.date(2023, 9, 30))) == [
        (
            (*CERTIFICATE, "chase_on"),
            "the chase on 2023-09-30 would go on or after the due date (2023-09-30): "
            "choose an earlier day",
        )
    ]


def test_a_chase_before_the_window_closes_names_the_window() -> None:
    [(where, message)] = chase_problems(changed(chase_on=dt.date(2023, 5, 24)))
    assert where == (*CERTIFICATE, "chase_on")
    assert "before the window 'reenrolment' closes on 2023-05-24" in message


def test_a_chase_needs_its_message_and_a_safe_hour() -> None:
    found = chase_problems(changed(chase_at=dt.time(2, 30), message=False))
    assert [where[-1] for where, _ in found] == ["chase_at", "chase_on"]
    assert "daylight saving time" in found[0][1]
    assert "needs the message 'deferred_documents'" in found[1][1]
