"""Time at the edges: the DST nights of Europe/Paris, a window's last microsecond, and
naive datetimes refused at the boundary.

On 26 March 2023 Paris clocks go from 02:00 to 03:00 (a 23-hour day), on 29 October
2023 from 03:00 back to 02:00 (a 25-hour day). Windows are inclusive local dates, so a
window's end is the local midnight after its last day: 22:00 UTC in summer time, 23:00
UTC in winter time, whatever the night before it did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from dacapo.campaigns.loader import parse_campaign
from dacapo.campaigns.schema import Role
from dacapo.campaigns.windows import local_instant, require_aware, window_interval
from dacapo.commands.campaign import read_campaign
from dacapo.engine.errors import CampaignInvalid, GuardFailed
from dacapo.engine.services import fire
from dacapo.rules.snapshot import Actor
from dacapo.store.corrections import extend_deadline, record_answers
from dacapo.store.database import Database, open_database
from dacapo.store.dossiers import get_dossier
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.tables import AuditRow
from tests.e2e.conftest import Result
from tests.integration.ready_dossiers import CAMPAIGN_FILE, seed_family
from tests.reliability.campaigns import load, shifted

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC
MICROSECOND = dt.timedelta(microseconds=1)
ANNE = Actor(Role.GUARDIAN, "f0100.anne@example.org")
STAFF = Actor(Role.STAFF, "secretariat")
LEA, HUGO = "malakoff-2023-2024-S0100", "malakoff-2023-2024-S0101"
SPRING, AUTUMN = dt.date(2023, 3, 26), dt.date(2023, 10, 29)


def utc(*fields: int) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=UTC)


# Window boundaries and reminder instants (pure)

# (opens, closes): the first and the first-after-last instants, in UTC.
DST_WINDOWS = [
    pytest.param(dt.date(2023, 3, 13), SPRING, utc(2023, 3, 12, 23), utc(2023, 3, 26, 22),
                 id="closing-on-the-23-hour-day"),
    pytest.param(SPRING, dt.date(2023, 4, 9), utc(2023, 3, 25, 23), utc(2023, 4, 9, 22),
                 id="opening-on-the-23-hour-day"),
    pytest.param(dt.date(2023, 3, 25), dt.date(2023, 3, 25), utc(2023, 3, 24, 23),
                 utc(2023, 3, 25, 23), id="the-day-before-spring-forward"),
    pytest.param(dt.date(2023, 10, 16), AUTUMN, utc(2023, 10, 15, 22), utc(2023, 10, 29, 23),
                 id="closing-on-the-25-hour-day"),
    pytest.param(AUTUMN, dt.date(2023, 11, 12), utc(2023, 10, 28, 22), utc(2023, 11, 12, 23),
                 id="opening-on-the-25-hour-day"),
    pytest.param(AUTUMN, AUTUMN, utc(2023, 10, 28, 22), utc(2023, 10, 29, 23),
                 id="the-25-hour-day-alone"),
]  # fmt: skip


@pytest.mark.parametrize(("opens", "closes", "start", "end"), DST_WINDOWS)
def test_window_boundaries_are_the_local_midnights_around_a_dst_night(
    opens: dt.date, closes: dt.date, start: dt.datetime, end: dt.datetime
) -> None:
    campaign = shifted(opens, closes)
    interval = window_interval(campaign, campaign.windows["reenrolment"])

    assert (interval.start, interval.end) == (start, end)
    assert interval.start.astimezone(PARIS).time() == dt.time(0, 0)
    assert interval.end.astimezone(PARIS).time() == dt.time(0, 0)
    assert interval.contains(end - MICROSECOND)
    assert not interval.contains(end)
    assert interval.contains(start)
    assert not interval.contains(start - MICROSECOND)


def test_an_extension_across_the_autumn_night_ends_at_the_winter_midnight() -> None:
    campaign = shifted(dt.date(2023, 10, 16), dt.date(2023, 10, 27))
    window = campaign.windows["reenrolment"]

    assert window_interval(campaign, window).end == utc(2023, 10, 27, 22)  # summer time
    assert window_interval(campaign, window, AUTUMN).end == utc(2023, 10, 29, 23)  # winter
    # An "extension" to a day before the close never shortens the window.
    assert window_interval(campaign, window, dt.date(2023, 10, 20)).end == utc(2023, 10, 27, 22)


def _allowed_times() -> list[dt.time]:
    """Every half hour of the day but the 02:00–03:00 hour campaign files may not use."""
    return [dt.time(h, m) for h in range(24) for m in (0, 30) if h != 2]


@pytest.mark.parametrize("day", [SPRING, AUTUMN, dt.date(2023, 5, 24)], ids=str)
def test_each_allowed_local_time_of_a_dst_day_is_one_instant_in_order(day: dt.date) -> None:
    instants = [local_instant(day, at, PARIS) for at in _allowed_times()]

    assert instants == sorted(set(instants))  # unique, in the order of the wall clock
    for at, instant in zip(_allowed_times(), instants, strict=True):
        assert instant.tzinfo is UTC
        assert instant.astimezone(PARIS).replace(tzinfo=None) == dt.datetime.combine(day, at)


def test_the_repeated_autumn_hour_means_its_first_occurrence() -> None:
    assert local_instant(AUTUMN, dt.time(2, 30), PARIS) == utc(2023, 10, 29, 0, 30)  # +02:00


# The bundled reminders (10:00 a week before, 18:00 three days before, 09:00 on the last
# day) of a window closing on each DST day: the right offset on either side of the night.
@pytest.mark.parametrize(
    ("closes", "expected"),
    [
        (SPRING, [utc(2023, 3, 19, 9), utc(2023, 3, 23, 17), utc(2023, 3, 26, 7)]),
        (AUTUMN, [utc(2023, 10, 22, 8), utc(2023, 10, 26, 16), utc(2023, 10, 29, 8)]),
    ],
    ids=["spring", "autumn"],
)
def test_reminder_instants_around_a_dst_night(closes: dt.date, expected: list) -> None:
    campaign = shifted(closes - dt.timedelta(days=13), closes)
    window = campaign.windows["reenrolment"]
    instants = [
        local_instant(window.closes - dt.timedelta(days=r.days_before_close), r.at, PARIS)
        for r in campaign.reminders
        if r.window == "reenrolment"
    ]

    assert instants == expected
    assert [i.astimezone(PARIS).time() for i in instants] == [r.at for r in campaign.reminders]


def test_a_campaign_file_cannot_put_a_reminder_in_the_hour_dst_skips(tmp_path: Path) -> None:
    text = CAMPAIGN_FILE.read_text(encoding="utf-8").replace('at: "09:00"', 'at: "02:30"')
    assert '"02:30"' in text
    (tmp_path / "campaign.yaml").write_text(text, encoding="utf-8")

    with pytest.raises(CampaignInvalid) as refused:
        read_campaign(tmp_path / "campaign.yaml")

    assert "02:30 is in the 02:00–03:00 hour that daylight saving time skips or repeats" in str(
        refused.value
    )


# Every local time of day a campaign file gives: the DST hour refused at its line and column

# (where, the line it goes after in the bundled file, the key written): four places. A
# window closing at night has its last-day reminder (09:00) moved to the day before.
TIMES_OF_DAY = [
    pytest.param("windows.reenrolment.opens_at", "    opens: 2023-05-10\n", "    opens_at",
                 id="window-opens-at"),
    pytest.param("windows.reenrolment.closes_at", "    closes: 2023-05-24 ", "    closes_at",
                 id="window-closes-at"),
    pytest.param("reminders[0].at", "    days_before_close: 7\n", "    at", id="reminder-at"),
    pytest.param("requirements.documents.medical_certificate.deferred.chase_at",
                 "        chase_on: 2023-09-11 ", "        chase_at", id="chase-at"),
]  # fmt: skip


def with_time(after: str, key: str, at: str) -> str:
    """The bundled file with ``key: "at"`` on the line after the one starting ``after``
    (replacing the key if it is there already)."""
    text = CAMPAIGN_FILE.read_text(encoding="utf-8")
    if key.strip() == "closes_at":
        text = text.replace("days_before_close: 0\n", "days_before_close: 1\n")
    lines = text.splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith(after))
    if lines[index + 1].startswith(f"{key}:"):
        del lines[index + 1]
    lines.insert(index + 1, f'{key}: "{at}"\n')
    return "".join(lines)


@pytest.mark.parametrize(("where", "after", "key"), TIMES_OF_DAY)
@pytest.mark.parametrize("at", ["02:00", "02:30", "02:59"])
def test_a_time_of_day_in_the_dst_hour_is_refused_at_its_line_and_column(
    where: str, after: str, key: str, at: str
) -> None:
    text = with_time(after, key, at)
    line = text.splitlines().index(f'{key}: "{at}"') + 1

    with pytest.raises(CampaignInvalid) as refused:
        parse_campaign(text, "campaign.yaml")

    rule = f"{at} is in the 02:00–03:00 hour that daylight saving time skips or repeats"
    assert [str(p) for p in refused.value.problems] == [
        f"campaign.yaml:{line}:{len(key) + 3}: {where}: {rule}; choose another time"
    ]


@pytest.mark.parametrize(("where", "after", "key"), TIMES_OF_DAY)
@pytest.mark.parametrize("at", ["01:59", "03:00"])
def test_the_minutes_around_the_dst_hour_are_allowed(
    where: str, after: str, key: str, at: str
) -> None:
    assert parse_campaign(with_time(after, key, at), "campaign.yaml").id == "malakoff-2023-2024"


@pytest.mark.parametrize(
    ("zone", "refused", "allowed"),
    [
        ("Europe/London", "01:30 is in the 01:00–02:00 hour", "02:30"),
        ("America/New_York", "01:30 is in the 01:00–02:00 hour", "03:00"),
        ("Asia/Tokyo", None, "02:30"),
    ],
    ids=["london-changes-at-01:00", "new-york-repeats-01:00-skips-02:00", "tokyo-never-changes"],
)
def test_the_refused_hour_is_the_one_the_campaigns_own_zone_skips_or_repeats(
    zone: str, refused: str | None, allowed: str
) -> None:
    after, key = "    days_before_close: 7\n", "    at"
    zoned = with_time(after, key, "01:30").replace("timezone: Europe/Paris", f"timezone: {zone}")
    if refused is None:
        assert parse_campaign(zoned, "campaign.yaml").timezone == zone
    else:
        with pytest.raises(CampaignInvalid) as problems:
            parse_campaign(zoned, "campaign.yaml")
        assert f"reminders[0].at: {refused} that daylight saving time" in str(problems.value)
    elsewhere = with_time(after, key, allowed).replace(
        "timezone: Europe/Paris", f"timezone: {zone}"
    )
    assert parse_campaign(elsewhere, "campaign.yaml").reminders[0].at == dt.time.fromisoformat(
        allowed
    )


# A window opening or closing at a time of day, on a DST day: (opens, opens_at, closes,
# closes_at, first instant, end), the end one minute or three hours after 01:59 local.
TIMED_WINDOWS = [
    pytest.param(dt.date(2023, 3, 13), None, SPRING, dt.time(3, 0), utc(2023, 3, 12, 23),
                 utc(2023, 3, 26, 1), id="closing-at-03:00-on-the-23-hour-day"),
    pytest.param(SPRING, dt.time(1, 59), dt.date(2023, 4, 9), None, utc(2023, 3, 26, 0, 59),
                 utc(2023, 4, 9, 22), id="opening-at-01:59-on-the-23-hour-day"),
    pytest.param(dt.date(2023, 10, 16), None, AUTUMN, dt.time(3, 0), utc(2023, 10, 15, 22),
                 utc(2023, 10, 29, 2), id="closing-at-03:00-on-the-25-hour-day"),
    pytest.param(AUTUMN, dt.time(1, 59), dt.date(2023, 11, 12), None, utc(2023, 10, 28, 23, 59),
                 utc(2023, 11, 12, 23), id="opening-at-01:59-on-the-25-hour-day"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("opens", "opens_at", "closes", "closes_at", "start", "end"), TIMED_WINDOWS
)
def test_a_window_opening_or_closing_at_a_time_on_a_dst_day_uses_that_days_offset(
    opens: dt.date,
    opens_at: dt.time | None,
    closes: dt.date,
    closes_at: dt.time | None,
    start: dt.datetime,
    end: dt.datetime,
) -> None:
    campaign = shifted(opens, closes)
    window = campaign.windows["reenrolment"].model_copy(
        update={"opens_at": opens_at, "closes_at": closes_at}
    )
    interval = window_interval(campaign, window)

    assert (interval.start, interval.end) == (start, end)
    assert interval.start.astimezone(PARIS).time() == (opens_at or dt.time(0, 0))
    assert interval.contains(end - MICROSECOND)
    assert not interval.contains(end)
    if closes_at is not None:  # an extension runs to the local midnight after its day
        extended = window_interval(campaign, window, closes + dt.timedelta(days=1))
        assert extended.end.astimezone(PARIS).time() == dt.time(0, 0)
        assert extended.end.astimezone(PARIS).date() == closes + dt.timedelta(days=2)


# Through fire, on SQLite and PostgreSQL


def advance(db: Database, ref: str, event: str, actor: Actor, now: dt.datetime) -> str:
    with db.unit_of_work() as uow:
        outcome = fire(SqlDossierStore(uow.session), ref, event, actor, now=now)
        uow.commit()
    return outcome.state


def refusal(db: Database, ref: str, event: str, actor: Actor, now: dt.datetime) -> GuardFailed:
    with pytest.raises(GuardFailed) as refused, db.unit_of_work() as uow:
        fire(SqlDossierStore(uow.session), ref, event, actor, now=now)
    return refused.value


# (opens, closes, first instant, last microsecond, the French « closed since »)
EDGES = [
    pytest.param(dt.date(2023, 5, 10), dt.date(2023, 5, 24), utc(2023, 5, 9, 22),
                 dt.datetime(2023, 5, 24, 21, 59, 59, 999999, tzinfo=UTC),
                 "close depuis le 25/05/2023 à 00:00", id="bundled"),
    pytest.param(dt.date(2023, 3, 13), SPRING, utc(2023, 3, 12, 23),
                 dt.datetime(2023, 3, 26, 21, 59, 59, 999999, tzinfo=UTC),
                 "close depuis le 27/03/2023 à 00:00", id="spring"),
    pytest.param(AUTUMN, AUTUMN, utc(2023, 10, 28, 22),
                 dt.datetime(2023, 10, 29, 22, 59, 59, 999999, tzinfo=UTC),
                 "close depuis le 30/10/2023 à 00:00", id="autumn"),
]  # fmt: skip


@pytest.mark.parametrize(("opens", "closes", "first", "last", "closed_since"), EDGES)
def test_the_last_microsecond_of_a_window_is_open_and_the_next_one_closed(
    db: Database,
    opens: dt.date,
    closes: dt.date,
    first: dt.datetime,
    last: dt.datetime,
    closed_since: str,
) -> None:
    load(db, shifted(opens, closes))
    seed_family(db)
    india = ZoneInfo("Asia/Kolkata")  # the same instants, written another way

    assert advance(db, LEA, "verify_identity", ANNE, last.astimezone(india)) == "identity_verified"
    closed = refusal(db, HUGO, "verify_identity", ANNE, last + MICROSECOND)
    assert closed.codes == ["window.closed"]
    assert closed_since in closed.reasons[0]
    not_yet = refusal(db, HUGO, "verify_identity", ANNE, first - MICROSECOND)
    assert not_yet.codes == ["window.not_open_yet"]
    assert advance(db, HUGO, "verify_identity", ANNE, first) == "identity_verified"


def test_an_extension_across_the_autumn_night_is_open_until_its_winter_midnight(
    db: Database,
) -> None:
    load(db, shifted(dt.date(2023, 10, 16), dt.date(2023, 10, 27)))
    seed_family(db)
    late = utc(2023, 10, 29, 22, 59, 59, 999999)  # 23:59:59.999999 on the 25-hour day
    for ref in (LEA, HUGO):
        with db.unit_of_work() as uow:
            extend_deadline(uow.session, ref, AUTUMN, actor=STAFF, now=utc(2023, 10, 27, 9),
                            reason="Famille en déplacement")  # fmt: skip
            uow.commit()

    assert advance(db, LEA, "verify_identity", ANNE, late) == "identity_verified"
    closed = refusal(db, HUGO, "verify_identity", ANNE, late + MICROSECOND)
    assert closed.codes == ["window.closed"]
    assert "close depuis le 30/10/2023 à 00:00" in closed.reasons[0]


def audit_rows(db: Database) -> int:
    with db.unit_of_work(read_only=True) as uow:
        return int(uow.session.execute(select(func.count()).select_from(AuditRow)).scalar_one())


def test_a_naive_now_is_refused_by_fire_and_by_corrections_and_writes_nothing(
    db: Database,
) -> None:
    load(db)
    seed_family(db)
    naive = dt.datetime(2023, 5, 15, 10, 0)
    before = audit_rows(db)

    with pytest.raises(ValueError, match="must carry a time zone"), db.unit_of_work() as uow:
        fire(SqlDossierStore(uow.session), LEA, "verify_identity", ANNE, now=naive)
    with pytest.raises(ValueError, match="must carry a time zone"), db.unit_of_work() as uow:
        record_answers(uow.session, LEA, intent="oui", actor=ANNE, now=naive)
    with pytest.raises(ValueError, match="must carry a time zone"):
        require_aware(naive)

    assert audit_rows(db) == before
    with db.unit_of_work(read_only=True) as uow:
        assert (get_dossier(uow.session, LEA).state, get_dossier(uow.session, LEA).version) == (
            "invited",
            1,
        )


# Through the CLI's --now and DACAPO_NOW


def test_the_cli_refuses_a_now_without_offset_and_changes_nothing(
    dacapo: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = open_database(None, tmp_path / "data")  # the fixture's data directory
    try:
        load(database)
        seed_family(database)
    finally:
        database.dispose()
    advance_lea = ("dossier", "advance", LEA, "verify_identity", "--actor", f"guardian:{ANNE.id}")

    for now in ("2023-05-15T10:00:00", "2023-05-15 10:00", "2023-05-15"):
        given = dacapo("--now", now, *advance_lea)
        monkeypatch.setenv("DACAPO_NOW", now)
        from_environment = dacapo(*advance_lea)
        monkeypatch.delenv("DACAPO_NOW")
        for result in (given, from_environment):
            assert result.exit_code == 2, result.stderr
            assert f"{now!r} has no UTC offset" in result.stderr

    audit = dacapo("dossier", "audit", LEA, "--json")
    assert audit.exit_code == 0, audit.stderr
    assert audit.stdout.strip() == "[]"
