"""« du 10 mai au 24 mai » : the window guard, its inclusive last day and extensions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from hypothesis import given

from dacapo.campaigns.schema import Role
from dacapo.rules.access import window_open
from dacapo.rules.findings import Finding, Status
from dacapo.rules.snapshot import Actor
from tests.unit.rules.conftest import PARIS, context, guardian, make_snapshot
from tests.unit.rules.strategies import instants_around

UTC = dt.UTC
OPENING = dt.datetime(2023, 5, 10, tzinfo=PARIS)
CLOSING = dt.datetime(2023, 5, 25, tzinfo=PARIS)  # the first instant after 24 May
STAFF = Actor(Role.STAFF, "scolarite.malakoff")
SYSTEM = Actor(Role.SYSTEM, "scheduler")


def verdict(
    now: dt.datetime,
    actor: Actor | None = None,
    reason: str | None = None,
    **changes: Any,
) -> Finding:
    snapshot = make_snapshot(**changes)
    (finding,) = window_open(context(snapshot, now=now, actor=actor or guardian(), reason=reason))
    return finding


def is_open(now: dt.datetime, **changes: Any) -> bool:
    return verdict(now, **changes).status is Status.MET


class TestReenrolmentWindow:
    @given(instants_around(OPENING.astimezone(UTC)) | instants_around(CLOSING.astimezone(UTC)))
    def test_the_window_is_open_exactly_on_the_local_days_10_to_24_may(
        self, now: dt.datetime
    ) -> None:
        local_day = now.astimezone(PARIS).date()
        assert is_open(now) == (dt.date(2023, 5, 10) <= local_day <= dt.date(2023, 5, 24))

    @pytest.mark.parametrize(
        ("now", "expected"),
        [
            (dt.datetime.fromisoformat("2023-05-24T23:59:59+02:00"), True),
            (dt.datetime.fromisoformat("2023-05-25T00:00:00+02:00"), False),
            (dt.datetime.fromisoformat("2023-05-24T21:59:59.999999+00:00"), True),
            (dt.datetime.fromisoformat("2023-05-24T22:00:00+00:00"), False),
            (dt.datetime.fromisoformat("2023-05-09T23:59:59.999999+02:00"), False),
            (dt.datetime.fromisoformat("2023-05-10T00:00:00+02:00"), True),
        ],
    )
    def test_boundaries_are_local_midnights(self, now: dt.datetime, expected: bool) -> None:
        assert is_open(now) is expected

    def test_an_open_window_says_until_when_it_stays_open(self) -> None:
        finding = verdict(dt.datetime(2023, 5, 15, 10, tzinfo=PARIS))
        assert finding.code == "window.open"
        assert finding.item == "window"
        assert finding.message == (
            "La période « Réinscriptions administratives en ligne » est ouverte "
            "jusqu'au 24/05/2023 inclus"
        )

    def test_a_closed_window_says_since_when_and_how_staff_may_still_act(self) -> None:
        finding = verdict(dt.datetime(2023, 5, 26, 9, tzinfo=PARIS))
        assert finding.status is Status.UNMET
        assert finding.code == "window.closed"
        assert finding.message == (
            "La période « Réinscriptions administratives en ligne » est close depuis le "
            "25/05/2023 à 00:00 ; le personnel peut agir en indiquant un motif."
        )

    def test_a_window_not_yet_open_says_when_it_opens_in_local_time(self) -> None:
        finding = verdict(dt.datetime(2023, 5, 1, 12, tzinfo=UTC))
        assert finding.code == "window.not_open_yet"
        assert finding.message.startswith(
            "La période « Réinscriptions administratives en ligne » ouvrira le 10/05/2023 à 00:00"
        )

    def test_a_naive_instant_is_refused(self) -> None:
        with pytest.raises(ValueError, match="time zone"):
            verdict(dt.datetime(2023, 5, 15, 10))


class TestExtension:
    def test_a_per_dossier_deadline_keeps_the_window_open_until_that_day(self) -> None:
        finding = verdict(
            dt.datetime(2023, 5, 31, 23, 59, tzinfo=PARIS), deadline=dt.date(2023, 5, 31)
        )
        assert finding.status is Status.MET
        assert finding.message.endswith("jusqu'au 31/05/2023 inclus (délai accordé)")

    def test_the_extension_ends_at_the_next_local_midnight(self) -> None:
        assert not is_open(dt.datetime(2023, 6, 1, tzinfo=PARIS), deadline=dt.date(2023, 5, 31))

    def test_a_deadline_before_the_close_does_not_shorten_the_window(self) -> None:
        assert is_open(dt.datetime(2023, 5, 24, 20, tzinfo=PARIS), deadline=dt.date(2023, 5, 20))


class TestNewPupilsWindow:
    @pytest.mark.parametrize(
        ("now", "expected"),
        [
            (dt.datetime.fromisoformat("2023-06-30T23:59:59+02:00"), True),
            (dt.datetime.fromisoformat("2023-07-01T00:00:00+02:00"), False),
            (dt.datetime.fromisoformat("2023-06-30T21:59:59.999999+00:00"), True),
            (dt.datetime.fromisoformat("2023-06-30T22:00:00+00:00"), False),
            (dt.datetime.fromisoformat("2023-06-05T00:00:00+02:00"), True),
            (dt.datetime.fromisoformat("2023-06-04T21:59:59+00:00"), False),
        ],
    )
    def test_the_new_pupils_window_runs_from_5_to_30_june_inclusive(
        self, now: dt.datetime, expected: bool
    ) -> None:
        assert is_open(now, workflow="new_pupil", window="new_pupils") is expected


class TestWhoMayActOutsideTheWindow:
    CLOSED = dt.datetime(2023, 5, 26, 9, tzinfo=PARIS)

    def test_staff_with_a_reason_may_act_after_the_close(self) -> None:
        finding = verdict(self.CLOSED, actor=STAFF, reason="Famille hospitalisée")
        assert finding.status is Status.MET
        assert finding.code == "window.staff_override"
        assert finding.message.endswith(
            "action du personnel avec le motif « Famille hospitalisée »"
        )

    def test_staff_with_a_reason_may_act_before_the_opening(self) -> None:
        early = dt.datetime(2023, 5, 2, 9, tzinfo=PARIS)
        assert verdict(early, actor=STAFF, reason="Saisie anticipée").status is Status.MET

    @pytest.mark.parametrize("reason", [None, "", "   "])
    def test_staff_without_a_reason_is_blocked(self, reason: str | None) -> None:
        assert verdict(self.CLOSED, actor=STAFF, reason=reason).code == "window.closed"

    def test_a_guardian_with_a_reason_is_still_blocked(self) -> None:
        assert verdict(self.CLOSED, reason="J'étais en vacances").status is Status.UNMET

    def test_the_system_is_never_blocked_since_it_lapses_dossiers_at_the_close(self) -> None:
        finding = verdict(self.CLOSED, actor=SYSTEM)
        assert finding.status is Status.MET
        assert finding.code == "window.system"

    def test_without_an_actor_the_dossier_is_judged_as_a_family_would_be(self) -> None:
        ctx = context(make_snapshot(), now=self.CLOSED)
        assert [f.status for f in window_open(ctx)] == [Status.UNMET]


def test_an_unknown_window_is_unmet_rather_than_a_crash() -> None:
    snapshot = dataclasses.replace(make_snapshot(), window="rentree")
    (finding,) = window_open(context(snapshot))
    assert finding.code == "window.unknown"
    assert finding.status is Status.UNMET
