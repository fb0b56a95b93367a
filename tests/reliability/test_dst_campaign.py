"""A campaign played out across both DST nights of 2023, through ``dacapo simulate``.

The bundled campaign, moved: re-enrolment from 20 to 31 March, around the night of
26 March when Paris clocks jump from 02:00 to 03:00; new pupils' wishes from 16 to 29
October, the day clocks fall back from 03:00 to 02:00. Its reminders sit on those two
nights, just before and just after the hour that the clocks skip or repeat: campaign
files may not use that hour at all (02:30 on 26 March does not exist, 02:30 on 29
October happens twice), which ``campaign validate`` says with the file, line and column.

What a user of the simulation notices is then checked against the database: each due
item ran once, at the instant the campaign's rules give; each reminder reached each
address of each family concerned exactly once, no family was lost in the spring gap or
reminded twice in the autumn's repeated hour, and the messages state the right deadline;
lapses carry their window's closing instant, 22:00 UTC in summer time and 23:00 UTC in
winter time; the daily funnel, printed and in the report, has each local date once,
with the counts the audit trail gives; the audit chain verifies.
"""

from __future__ import annotations

import datetime as dt
import email.policy
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from dacapo.campaigns.schema import Campaign
from dacapo.commands.campaign import read_campaign
from dacapo.reports.build import build_report
from dacapo.store.audit import verify_audit
from dacapo.store.database import Database, open_database
from dacapo.store.schedule import due_items
from dacapo.store.tables import AuditRow, Dossier, OutboxRow, Student
from tests.e2e.conftest import ROOT, Result

Dacapo = Callable[..., Result]
PARIS = ZoneInfo("Europe/Paris")
BUNDLED = ROOT / "campaign-2023-2024.yaml"
DOCUMENTS = ROOT / "examples" / "documents"
SPRING, AUTUMN = dt.date(2023, 3, 26), dt.date(2023, 10, 29)
FIRST_DAY, LAST_DAY = dt.date(2023, 3, 19), dt.date(2023, 10, 30)  # the simulation's days
HEADERS = BytesHeaderParser(policy=email.policy.default)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def utc(*fields: int) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=dt.UTC)


REMINDERS = """\
reminders:
  - id: before_spring_night
    window: reenrolment
    days_before_close: 5
    at: "{before_spring}"
    channels: [email, sms]
    template: reminder
  - id: after_spring_night
    window: reenrolment
    days_before_close: 5
    at: "03:30"
    channels: [email]
    template: reminder
  - id: last_day
    window: reenrolment
    days_before_close: 0
    at: "09:00"
    channels: [email, sms]
    template: reminder_last_day
  - id: before_autumn_night
    window: new_pupils
    days_before_close: 0
    at: "01:30"
    channels: [email]
    template: reminder
  - id: after_autumn_night
    window: new_pupils
    days_before_close: 0
    at: "{after_autumn}"
    channels: [email]
    template: reminder
"""
# New pupils' dossiers still open at the close lapse, as re-enrolment ones do.
NEW_PUPIL_LAPSE = """\
      - event: lapse
        from: [wish_registered, offered, waitlisted]
        to: lapsed
        by: [system, staff]
        guards: [actor_allowed]
"""


def dst_campaign(
    folder: Path, *, before_spring: str = "01:30", after_autumn: str = "03:30"
) -> Path:
    """The bundled campaign with its windows and reminders on the DST nights of 2023."""
    text = BUNDLED.read_text(encoding="utf-8")
    for old, new in [
        ("opens: 2023-05-10\n    closes: 2023-05-24 ",
         "opens: 2023-03-20\n    closes: 2023-03-31 "),
        ("opens: 2023-06-05\n    closes: 2023-06-30", "opens: 2023-10-16\n    closes: 2023-10-29"),
        ("      declined: {label: Place déclinée}\n",
         "      declined: {label: Place déclinée}\n"
         "      lapsed: {label: Sans suite (délai dépassé)}\n"),
        ("final: [enrolled, declined, refused]", "final: [enrolled, declined, refused, lapsed]"),
        ("\nrequirements:\n", f"{NEW_PUPIL_LAPSE}\nrequirements:\n"),
    ]:  # fmt: skip
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    head, rest = text.split("\nreminders:\n")
    rest = rest[rest.index("\nnotifications:\n") :]
    reminders = REMINDERS.format(before_spring=before_spring, after_autumn=after_autumn)
    path = folder / "campaign-dst.yaml"
    path.write_text(f"{head}\n{reminders}{rest}", encoding="utf-8")
    return path


def line_of(path: Path, text: str, after: str) -> int:
    """The number of the first line holding ``text`` after the line holding ``after``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    return next(i for i in range(start, len(lines)) if text in lines[i]) + 1


# The campaign's rule for local times on DST nights


def test_a_reminder_in_the_skipped_or_repeated_hour_is_refused_at_its_line_and_column(
    dacapo: Dacapo, tmp_path: Path
) -> None:
    path = dst_campaign(tmp_path, before_spring="02:30", after_autumn="02:30")
    spring = line_of(path, 'at: "02:30"', "id: before_spring_night")  # does not exist
    autumn = line_of(path, 'at: "02:30"', "id: after_autumn_night")  # happens twice

    result = dacapo("campaign", "validate", str(path))

    assert result.exit_code == 2, result.stdout
    rule = "02:30 is in the 02:00–03:00 hour that daylight saving time skips or repeats"
    assert f"{path}:{spring}:9: reminders[0].at: {rule}; choose another time" in result.stderr
    assert f"{path}:{autumn}:9: reminders[4].at: {rule}; choose another time" in result.stderr
    assert "2 errors" in result.stderr
    assert "Traceback" not in result.stderr


def test_times_next_to_the_hour_are_valid_and_shown_with_the_offset_of_their_night(
    dacapo: Dacapo, tmp_path: Path
) -> None:
    path = dst_campaign(tmp_path)

    checked = dacapo("campaign", "validate", str(path))
    shown = dacapo("campaign", "show", str(path))

    assert checked.exit_code == 0, checked.stderr
    assert "2 windows, 2 workflows, 4 documents, 5 reminders" in checked.stdout
    assert shown.exit_code == 0, shown.stderr
    for line in [
        "opens   2023-03-20 00:00:00 Europe/Paris = 2023-03-19 23:00:00 UTC",
        "closes  2023-03-31 23:59:59.999999 Europe/Paris = 2023-03-31 21:59:59.999999 UTC",
        "before_spring_night (reenrolment): 2023-03-26 01:30:00 Europe/Paris"
        " = 2023-03-26 00:30:00 UTC",
        "after_spring_night (reenrolment): 2023-03-26 03:30:00 Europe/Paris"
        " = 2023-03-26 01:30:00 UTC",
        "before_autumn_night (new_pupils): 2023-10-29 01:30:00 Europe/Paris"
        " = 2023-10-28 23:30:00 UTC",
        "after_autumn_night (new_pupils): 2023-10-29 03:30:00 Europe/Paris"
        " = 2023-10-29 02:30:00 UTC",
        "closes  2023-10-29 23:59:59.999999 Europe/Paris = 2023-10-29 22:59:59.999999 UTC",
    ]:
        assert line in shown.stdout, line


# The campaign played out


# Every due item: (instant, in UTC), each done at that very instant.
DUE = {
    "open:reenrolment": utc(2023, 3, 19, 23),  # 20 March 00:00 CET
    "reminder:before_spring_night": utc(2023, 3, 26, 0, 30),  # 01:30 CET
    "reminder:after_spring_night": utc(2023, 3, 26, 1, 30),  # 03:30 CEST, an hour later
    "reminder:last_day": utc(2023, 3, 31, 7),  # 09:00 CEST
    "close:reenrolment": utc(2023, 3, 31, 22),  # 1 April 00:00 CEST
    "chase:medical_certificate": utc(2023, 9, 11, 8),  # 10:00 CEST
    "open:new_pupils": utc(2023, 10, 15, 22),  # 16 October 00:00 CEST
    "reminder:before_autumn_night": utc(2023, 10, 28, 23, 30),  # 01:30 CEST
    "reminder:after_autumn_night": utc(2023, 10, 29, 2, 30),  # 03:30 CET, three hours later
    "close:new_pupils": utc(2023, 10, 29, 23),  # 30 October 00:00 CET
}
DEADLINES = {  # what the reminders of each window tell families
    "reenrolment": "vendredi 31 mars 2023 à 23 h 59",
    "new_pupils": "dimanche 29 octobre 2023 à 23 h 59",
}


@dataclass(frozen=True)
class Move:
    dossier: int
    window: str
    workflow: str
    family: int
    seq: int
    event: str
    role: str
    to_state: str
    at: dt.datetime
    deadline: dt.date | None


@dataclass
class Played:
    campaign: Campaign
    database: Database
    out: Path
    stdout: str
    moves: list[Move]

    def rows(self, *columns: Any) -> list[Any]:
        with self.database.unit_of_work(read_only=True) as uow:
            return list(uow.session.execute(select(*columns)))

    def states_before(self, instant: dt.datetime, *, strictly: bool = True) -> dict[int, Move]:
        """Each dossier's last audit row before ``instant`` (or at it, not ``strictly``)."""
        last: dict[int, Move] = {}
        for move in self.moves:
            if move.at < instant or (not strictly and move.at == instant):
                last[move.dossier] = move
        return last


def simulate(dacapo: Dacapo, campaign: Path, url: str, out: Path) -> Played:
    result = dacapo(
        "simulate", str(campaign), "--families", "20", "--seed", "3", "--db", url,
        "--out", str(out), "--documents", str(DOCUMENTS),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    database = open_database(url, out)
    query = (
        select(
            Dossier.id, Dossier.window, Dossier.workflow, Student.family_id, AuditRow.seq,
            AuditRow.event, AuditRow.role, AuditRow.to_state, AuditRow.effective_at,
            Dossier.deadline,
        )
        .join(Dossier, Dossier.id == AuditRow.dossier_id)  # type: ignore[arg-type]
        .join(Student, Student.id == Dossier.student_id)  # type: ignore[arg-type]
        .order_by(AuditRow.dossier_id, AuditRow.seq)
    )  # fmt: skip
    with database.unit_of_work(read_only=True) as uow:
        moves = [Move(*row) for row in uow.session.execute(query)]
    return Played(read_campaign(campaign).campaign, database, out, result.stdout, moves)


def test_a_campaign_across_both_dst_nights_plays_out_at_the_right_instants(
    dacapo: Dacapo, database_url: str, tmp_path: Path
) -> None:
    played = simulate(dacapo, dst_campaign(tmp_path), database_url, tmp_path / "simulation")
    try:
        each_due_item_ran_once_at_its_instant(played)
        each_reminder_reached_each_address_of_each_family_concerned_once(played)
        the_reminders_state_the_deadline_in_local_time(played)
        lapses_carry_the_closing_instant_of_their_window_or_extension(played)
        the_printed_funnel_has_each_local_date_once_with_the_audit_counts(played)
        the_report_funnel_has_each_local_date_once_with_the_audit_counts(played)
        with played.database.unit_of_work(read_only=True) as uow:
            assert verify_audit(uow.session) is None
    finally:
        played.database.dispose()


def each_due_item_ran_once_at_its_instant(played: Played) -> None:
    with played.database.unit_of_work(read_only=True) as uow:
        items = due_items(uow.session, statuses=None)
    assert {i.key: i.due_at for i in items} == DUE
    assert {i.key: (i.status, i.done_at) for i in items} == {k: ("done", v) for k, v in DUE.items()}
    assert [i.key for i in items] == list(DUE)  # in the order of the instants
    local = {key: at.astimezone(PARIS) for key, at in DUE.items()}
    assert local["reminder:before_spring_night"].isoformat() == "2023-03-26T01:30:00+01:00"
    assert local["reminder:after_spring_night"].isoformat() == "2023-03-26T03:30:00+02:00"
    assert local["reminder:before_autumn_night"].isoformat() == "2023-10-29T01:30:00+02:00"
    assert local["reminder:after_autumn_night"].isoformat() == "2023-10-29T03:30:00+01:00"


def each_reminder_reached_each_address_of_each_family_concerned_once(played: Played) -> None:
    rows = [
        r
        for r in played.rows(
            OutboxRow.family_id, OutboxRow.channel, OutboxRow.recipient, OutboxRow.context,
            OutboxRow.status, OutboxRow.sent_at, OutboxRow.event,
        )
        if r.event == "reminder"
    ]  # fmt: skip
    sent = Counter((r.context["reminder"], r.family_id, r.channel, r.recipient) for r in rows)
    assert set(sent.values()) == {1}  # no address reminded twice by one reminder
    assert {r.status for r in rows} == {"sent"}
    for reminder in played.campaign.reminders:
        due = DUE[f"reminder:{reminder.id}"]
        mine = [r for r in rows if r.context["reminder"] == reminder.id]
        assert {r.sent_at for r in mine} == {due}, reminder.id
        assert {r.channel for r in mine} == set(reminder.channels), reminder.id
        workflow = played.campaign.windows[reminder.window].workflow
        final = set(played.campaign.workflows[workflow].final)
        concerned = {
            m.family
            for m in played.states_before(due, strictly=False).values()
            if m.window == reminder.window and m.to_state not in final
        }
        assert concerned, f"{reminder.id} concerns no family: the test proves nothing"
        assert {r.family_id for r in mine if r.channel == "email"} == concerned, reminder.id


def the_reminders_state_the_deadline_in_local_time(played: Played) -> None:
    windows = {r.id: r.window for r in played.campaign.reminders}
    emails = Counter(
        (r.context["reminder"], r.sent_at)
        for r in played.rows(OutboxRow.context, OutboxRow.sent_at, OutboxRow.channel)
        if r.channel == "email" and "reminder" in r.context
    )
    found: Counter[tuple[str, dt.datetime]] = Counter()
    for path in (played.out / "outbox").glob("*.eml"):
        message = HEADERS.parsebytes(path.read_bytes())
        subject, date = str(message["Subject"]), parsedate_to_datetime(str(message["Date"]))
        for reminder, window in windows.items():
            if date == DUE[f"reminder:{reminder}"] and subject.startswith(("Rappel", "Dernier")):
                found[reminder, date] += 1
                if reminder != "last_day":
                    assert subject.endswith(f"avant le {DEADLINES[window]}"), subject
    assert found == emails


def lapses_carry_the_closing_instant_of_their_window_or_extension(played: Played) -> None:
    lapses = [m for m in played.moves if m.event == "lapse"]
    closing = {"reenrolment": DUE["close:reenrolment"], "new_pupils": DUE["close:new_pupils"]}
    by_window: dict[str, Counter[dt.datetime]] = defaultdict(Counter)
    for move in lapses:
        assert move.role == "system"
        reopened = any(
            m.dossier == move.dossier and m.event == "reopen" and m.seq < move.seq
            for m in played.moves
        )
        if reopened:  # lapsed again at the end of its own deadline: local midnight
            assert move.deadline is not None
            end = dt.datetime.combine(move.deadline + dt.timedelta(days=1), dt.time(), PARIS)
            assert move.at == end.astimezone(dt.UTC)
            assert move.at.hour == 22  # April: summer time
        else:
            assert move.at == closing[move.window], move
        by_window[move.window][move.at] += 1
    assert by_window["reenrolment"][utc(2023, 3, 31, 22)] >= 1  # summer time: 22:00 UTC
    assert by_window["new_pupils"][utc(2023, 10, 29, 23)] >= 1  # winter time: 23:00 UTC
    assert any(m.deadline for m in lapses), "no extension lapsed: the test proves less"


def expected_counts(played: Played, days: Iterable[dt.date]) -> dict[tuple[str, str], list[int]]:
    """Dossiers per (workflow, state) at the end of each local day, from the audit trail."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(list)
    keys = [(w, s) for w, spec in played.campaign.workflows.items() for s in spec.states]
    for day in days:
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), PARIS)
        found = Counter((m.workflow, m.to_state) for m in played.states_before(end).values())
        for key in keys:
            counts[key].append(found[key])
    return counts


def the_printed_funnel_has_each_local_date_once_with_the_audit_counts(played: Played) -> None:
    lines = [line for line in played.stdout.splitlines() if line[:4].strip() in WEEKDAYS]
    days = [FIRST_DAY + dt.timedelta(days=n) for n in range((LAST_DAY - FIRST_DAY).days + 1)]
    assert [line[:9] for line in lines] == [
        f"{WEEKDAYS[d.weekday()]} {d:%d/%m}".ljust(9) for d in days
    ]
    assert lines[days.index(SPRING)].startswith("Sun 26/03")
    assert lines[days.index(AUTUMN)].startswith("Sun 29/10")
    work = {line[:9].strip(): line.split(" | ")[-1].split(maxsplit=1)[1:] for line in lines}
    assert work["Mon 20/03"] == ["open:reenrolment"]
    assert work["Sun 26/03"] == ["reminder:before_spring_night, reminder:after_spring_night"]
    assert work["Fri 31/03"] == ["reminder:last_day"]
    assert work["Sat 01/04"] == ["close:reenrolment"]
    assert work["Sun 29/10"] == ["reminder:before_autumn_night, reminder:after_autumn_night"]
    assert work["Mon 30/10"] == ["close:new_pupils"]
    expected = expected_counts(played, days)
    workflows = dict.fromkeys(w.workflow for w in played.campaign.windows.values())
    keys = [(w, s) for w in workflows for s in played.campaign.workflows[w].states]
    for index, line in enumerate(lines):
        numbers = [int(n) for n in line[9:].rsplit(" | ", 1)[0].replace("|", " ").split()]
        assert numbers == [expected[key][index] for key in keys], line


def the_report_funnel_has_each_local_date_once_with_the_audit_counts(played: Played) -> None:
    end = dt.datetime.combine(LAST_DAY + dt.timedelta(days=1), dt.time(), PARIS)
    with played.database.unit_of_work(read_only=True) as uow:
        funnel = build_report(uow.session, played.campaign.id, now=end).funnel
    assert funnel.days == tuple(
        FIRST_DAY + dt.timedelta(days=n) for n in range((LAST_DAY - FIRST_DAY).days + 2)
    )
    expected = expected_counts(played, funnel.days)
    for window in funnel.windows:
        workflow = played.campaign.windows[window.window].workflow
        for series in window.series:
            assert list(series.counts) == expected[workflow, series.state], (
                window.window,
                series.state,
            )
    assert {w.window for w in funnel.windows} == {"reenrolment", "new_pupils"}
