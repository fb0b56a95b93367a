"""A whole campaign simulated: the same for a seed, every persona where it should end.

A simulation takes a few seconds, so each test plays as few as it needs and
checks everything it can on them: one test replays a small campaign twice,
the other plays one with every persona and looks at each.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dacapo.bootstrap import App, load_settings
from dacapo.commands.campaign import read_campaign
from dacapo.simulation import queries
from dacapo.simulation.families import Family
from dacapo.simulation.personas import HABIT, Persona
from dacapo.simulation.run import Plan, Result, Simulation
from dacapo.store.audit import verify_audit
from dacapo.store.database import Database, open_database, upgrade
from dacapo.store.tables import AuditRow, Document, Dossier, OutboxRow, Student, metadata
from tests.integration.conftest import POSTGRES_ENV, _postgres_schema

ROOT = Path(__file__).parents[2]
CAMPAIGN = read_campaign(ROOT / "campaign-2023-2024.yaml")
FILES = ROOT / "examples" / "documents"
OPENING = dt.datetime(2023, 5, 9, 22, 0, tzinfo=dt.UTC)  # 10 May 00:00 in Paris
CLOSING = dt.datetime(2023, 5, 24, 22, 0, tzinfo=dt.UTC)  # 25 May 00:00 in Paris
# Real-clock bookkeeping, and the audit hashes, which cover ``recorded_at``.
BOOKKEEPING = {"recorded_at", "created_at", "updated_at", "planned_at", "claimed_at"}
BOOKKEEPING |= {"hash", "prev_hash"}
WEEKDAYS = ("Mon ", "Tue ", "Wed ", "Thu ", "Fri ", "Sat ", "Sun ")


@dataclass
class Played:
    result: Result
    lines: list[str]
    database: Database
    out: Path

    def families(self, persona: Persona) -> list[Family]:
        found = [f for f in self.result.families if f.persona is persona]
        assert found, f"no family was dealt {persona.value}"
        return found

    def history(self, ref: str) -> list[Any]:
        query = (
            select(AuditRow)
            .join(Dossier, Dossier.id == AuditRow.dossier_id)  # type: ignore[arg-type]
            .where(Dossier.ref == ref)
            .order_by(AuditRow.seq)  # type: ignore[arg-type]
        )
        with self.database.unit_of_work(read_only=True) as uow:
            return list(uow.session.execute(query).scalars())

    def rows(self, *columns: Any) -> list[Any]:
        with self.database.unit_of_work(read_only=True) as uow:
            return list(uow.session.execute(select(*columns)))


def play(url: str, out: Path, *, families: int, seed: int) -> Played:
    """A simulation into the empty database ``url``, its files in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    upgrade(url, out)
    database = open_database(url, out)
    app = App(load_settings(data_dir=out, database_url=url), database)
    lines: list[str] = []
    plan = Plan(families=families, seed=seed, files=FILES)
    result = Simulation(app, CAMPAIGN, plan, lines.append).run()
    return Played(result, lines, database, out)


def another_database(database_url: str, folder: Path) -> Iterator[str]:
    """A second empty database on the same backend."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{folder / 'dacapo.sqlite3'}"
    else:
        yield from _postgres_schema(os.environ[POSTGRES_ENV])


def dump(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, bookkeeping columns left out, in primary key order."""
    tables = {}
    with database.unit_of_work(read_only=True) as uow:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if c.name not in BOOKKEEPING]
            query = select(*columns).order_by(*table.primary_key.columns)
            tables[table.name] = [tuple(row) for row in uow.session.execute(query)]
    return tables


def message_files(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((out / "outbox").iterdir())}


def test_the_same_seed_plays_out_the_same_campaign(database_url: str, tmp_path: Path) -> None:
    first = play(database_url, tmp_path / "first", families=6, seed=5)
    try:
        for url in another_database(database_url, tmp_path / "again"):
            again = play(url, tmp_path / "again", families=6, seed=5)
            try:
                assert again.lines == first.lines
                assert dump(again.database) == dump(first.database)
                assert message_files(again.out) == message_files(first.out)
                assert (again.out / "journal.txt").read_text() == (
                    first.out / "journal.txt"
                ).read_text()
            finally:
                again.database.dispose()
    finally:
        first.database.dispose()
    days = [line for line in first.lines if line.startswith(WEEKDAYS)]
    assert len(days) == 54  # from the day before the opening to the day after the last close
    assert days[0].startswith("Tue 09/05")
    assert days[-1].startswith("Sat 01/07")
    today = dt.date.today()
    assert not [line for line in first.lines if f"{today:%d/%m/%Y}" in line]
    assert not [line for line in first.lines if today.isoformat() in line]


def test_every_persona_ends_where_it_leads_with_its_messages_and_its_audit(
    database_url: str, tmp_path: Path
) -> None:
    played = play(database_url, tmp_path, families=12, seed=11)
    try:
        assert played.result.unexpected == []
        states = queries.states(
            played.database, [r for f in played.result.families for _, r in f.dossiers]
        )
        for family in played.result.families:
            for _, ref in family.dossiers:
                assert states[ref] == HABIT[family.persona].expected, (ref, family.persona)
        early_birds_are_confirmed_in_the_first_days(played)
        silent_families_lapse_at_the_closing_instant(played)
        a_late_family_is_reopened_with_a_deadline_and_completes_before_it(played)
        a_family_reopened_that_never_completes_lapses_at_its_deadline(played)
        withdrawn_families_say_why_and_withdraw(played)
        an_expired_card_is_rejected_by_staff_and_the_tax_notice_sent_instead(played)
        reminded_families_complete_after_a_reminder(played)
        new_pupils_express_wishes_at_the_desk_and_some_get_a_place(played)
        each_reminder_reaches_each_address_of_a_family_once_whatever_its_pupils(played)
        the_messages_sent_are_files_in_the_outbox_folder(played)
        the_audit_chain_verifies_and_every_row_is_marked_simulated(played)
    finally:
        played.database.dispose()


def early_birds_are_confirmed_in_the_first_days(played: Played) -> None:
    for family in played.families(Persona.EARLY_BIRD):
        for _, ref in family.dossiers:
            confirmed = [r for r in played.history(ref) if r.event == "confirm"]
            assert len(confirmed) == 1
            assert OPENING <= confirmed[0].effective_at < OPENING + dt.timedelta(days=3)


def silent_families_lapse_at_the_closing_instant(played: Played) -> None:
    for family in played.families(Persona.SILENT):
        for _, ref in family.dossiers:
            rows = played.history(ref)
            assert [r.event for r in rows] == ["open", "lapse"]
            assert rows[-1].effective_at == CLOSING
            assert rows[-1].role == "system"


def a_late_family_is_reopened_with_a_deadline_and_completes_before_it(played: Played) -> None:
    for family in played.families(Persona.REOPENED_LATE):
        assert family.extended_until is not None
        assert family.extended_until > dt.date(2023, 5, 24)
        end = dt.datetime.combine(family.extended_until, dt.time(22, 0), tzinfo=dt.UTC)
        for _, ref in family.dossiers:
            rows = played.history(ref)
            events = [r.event for r in rows]
            assert events[:4] == ["open", "lapse", "reopen", "extend"]
            assert rows[1].effective_at == CLOSING
            assert rows[2].role == "staff"
            assert "Appel de la famille" in (rows[2].reason or "")
            confirmed = [r for r in rows if r.event == "confirm"]
            assert len(confirmed) == 1
            assert rows.index(confirmed[0]) > events.index("extend")
            assert confirmed[0].effective_at < end


def a_family_reopened_that_never_completes_lapses_at_its_deadline(played: Played) -> None:
    for family in played.families(Persona.REOPENED_LAPSED):
        assert family.extended_until is not None
        end = dt.datetime.combine(family.extended_until, dt.time(22, 0), tzinfo=dt.UTC)
        for _, ref in family.dossiers:
            rows = played.history(ref)
            assert [r.event for r in rows] == ["open", "lapse", "reopen", "extend", "lapse"]
            assert rows[-1].effective_at == end


def withdrawn_families_say_why_and_withdraw(played: Played) -> None:
    for family in played.families(Persona.WITHDRAWN):
        for _, ref in family.dossiers:
            rows = played.history(ref)
            assert [r.event for r in rows][-2:] == ["answer", "withdraw"]
            assert rows[-1].role in {"guardian", "adult_student"}
            assert rows[-1].reason


def an_expired_card_is_rejected_by_staff_and_the_tax_notice_sent_instead(played: Played) -> None:
    for family in played.families(Persona.WRONG_DOCUMENT):
        for _, ref in family.dossiers:
            rows = played.history(ref)
            rejected = [r for r in rows if r.event == "reject_documents"]
            assert len(rejected) == 1
            assert rejected[0].role == "staff"
            assert "expirée le 31/12/2022" in (rejected[0].reason or "")
            confirmed = [r for r in rows if r.event == "confirm"]
            assert len(confirmed) == 1
            assert confirmed[0].effective_at > rejected[0].effective_at
        family_id = _family_id(played, family.dossiers[0][1])
        documents = played.rows(Document.kind, Document.status, Document.family_id)
        kinds = Counter((r.kind, r.status) for r in documents if r.family_id == family_id)
        assert kinds[("quotient_card", "rejected")] == 1
        assert kinds[("tax_notice", "accepted")] + kinds[("tax_notice", "pending")] == 1


def reminded_families_complete_after_a_reminder(played: Played) -> None:
    reminders = {r.template for r in CAMPAIGN.campaign.reminders}
    sent = played.rows(OutboxRow.family_id, OutboxRow.template, OutboxRow.sent_at)
    for family in played.families(Persona.REMINDED):
        family_id = _family_id(played, family.dossiers[0][1])
        first = min(r.sent_at for r in sent if r.family_id == family_id and r.template in reminders)
        for _, ref in family.dossiers:
            confirmed = next(r for r in played.history(ref) if r.event == "confirm")
            assert confirmed.effective_at > first


def new_pupils_express_wishes_at_the_desk_and_some_get_a_place(played: Played) -> None:
    staff = played.result.staff
    assert staff is not None
    assert staff.wishes
    found = Counter(queries.states(played.database, [w.dossier for w in staff.wishes]).values())
    assert found["offered"] >= 1
    assert sum(found.values()) == len(staff.wishes)
    for wish in staff.wishes:
        opened = played.history(wish.dossier)[0]
        assert opened.event == "open"
        assert opened.actor == "accueil"
        assert opened.effective_at.astimezone(CAMPAIGN.campaign.zone).month == 6


def each_reminder_reaches_each_address_of_a_family_once_whatever_its_pupils(
    played: Played,
) -> None:
    reminders = {r.template for r in CAMPAIGN.campaign.reminders}
    rows = [
        r
        for r in played.rows(
            OutboxRow.family_id, OutboxRow.channel, OutboxRow.recipient, OutboxRow.template,
            OutboxRow.context, OutboxRow.status,
        )
        if r.template in reminders
    ]  # fmt: skip
    assert {r.context["reminder"] for r in rows} == {r.id for r in CAMPAIGN.campaign.reminders}
    assert {r.status for r in rows} == {"sent"}
    sent = Counter((r.context["reminder"], r.family_id, r.channel, r.recipient) for r in rows)
    assert set(sent.values()) == {1}
    assert any(len(r.context["dossiers"]) > 1 for r in rows)  # one message for siblings


def the_messages_sent_are_files_in_the_outbox_folder(played: Played) -> None:
    files = message_files(played.out)
    sent = [r for r in played.rows(OutboxRow.status, OutboxRow.channel) if r.status == "sent"]
    assert played.result.message_files == len(files) == len(sent)
    assert sum(n.endswith(".txt") for n in files) == sum(r.channel == "sms" for r in sent)


def the_audit_chain_verifies_and_every_row_is_marked_simulated(played: Played) -> None:
    with played.database.unit_of_work(read_only=True) as uow:
        assert verify_audit(uow.session) is None
    assert {row.simulated for row in played.rows(AuditRow.simulated)} == {True}


def _family_id(played: Played, ref: str) -> int:
    query = (
        select(Student.family_id)
        .join(Dossier, Dossier.student_id == Student.id)  # type: ignore[arg-type]
        .where(Dossier.ref == ref)
    )
    with played.database.unit_of_work(read_only=True) as uow:
        return int(uow.session.execute(query).scalar_one())
