"""The scheduler's sweeps at scale: who still owes what, and the reminders.

    .venv/bin/python -m bench.sweep [--pupils 100000] [--postgres URL | --no-postgres]
        [--markdown FILE]

Builds a database of ``--pupils`` dossiers through the CLI (``family import``,
``campaign load``), on SQLite and (unless ``--no-postgres``) on PostgreSQL, then
times in the same run:

- ``send_reminder`` for ``one_week_left`` (every open dossier, email) and for
  ``documents_missing`` (dossiers lacking a document, email and SMS), each
  beside a raw-SQL baseline doing the same writes: one ``INSERT INTO outbox
  ... SELECT`` grouped by family (its rows are deleted before the sweep runs);
- ``outstanding`` over the whole campaign, beside a raw ``SELECT`` of the
  dossiers without the documents' kinds, before and after a third of the
  families and pupils have sent documents (some wrong).

Not a test: it prints figures, the ratio (our speed as a share of the
baseline's) and the peak memory during each sweep.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from bench.common import (
    Figure,
    Report,
    arguments,
    on_both,
    peak_memory_mb,
    reset_peak_memory,
    timed,
)
from bench.dossier_engine import database, loaded
from dacapo.store.database import open_database
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.outstanding import outstanding
from dacapo.store.sweeps import send_reminder

PARIS = ZoneInfo("Europe/Paris")
CAMPAIGN_ID = "malakoff-2023-2024"
LOADED = dt.datetime(2023, 5, 10, 8, 0, tzinfo=PARIS)
ONE_WEEK_LEFT = dt.datetime(2023, 5, 17, 10, 0, tzinfo=PARIS)
DOCUMENTS_MISSING = dt.datetime(2023, 5, 21, 18, 0, tzinfo=PARIS)
OPEN_STATES = "('invited', 'identity_verified', 'documents_supplied', 'rules_accepted')"
AUDIENCE = (
    "FROM dossier d JOIN student s ON s.id = d.student_id "
    f"WHERE d.campaign_id = '{CAMPAIGN_ID}' AND d.\"window\" = 'reenrolment' "
    f"AND d.workflow = 'reenrolment' AND d.state IN {OPEN_STATES} "
    "AND (d.deadline IS NULL OR d.deadline <= '2023-05-24')"
)
# A dossier lacking a document of one of the kinds (validity aside: a baseline).
LACKING = (
    " AND (NOT EXISTS (SELECT 1 FROM document x WHERE x.family_id = s.family_id"
    " AND x.student_id IS NULL AND x.kind = 'payment_form')"
    " OR NOT EXISTS (SELECT 1 FROM document x WHERE x.family_id = s.family_id"
    " AND x.student_id IS NULL AND x.kind IN ('quotient_card', 'tax_notice'))"
    " OR NOT EXISTS (SELECT 1 FROM document x WHERE x.student_id = s.id AND x.kind = 'id_photo'))"
)


def raw_reminder(engine: Engine, reminder: str, lacking: bool, channels: list[str]) -> int:
    """Baseline: per channel, one INSERT ... SELECT of a row per family and address."""
    postgres = engine.dialect.name == "postgresql"
    refs = "json_agg(d.ref ORDER BY d.ref)" if postgres else "json_group_array(d.ref)"
    build = "json_build_object" if postgres else "json_object"
    families = (
        f"SELECT s.family_id AS family_id, {build}('reminder', '{reminder}', 'dossiers', {refs})"
        f" AS context {AUDIENCE}{LACKING if lacking else ''} GROUP BY s.family_id"
    )
    written = 0
    with engine.begin() as c:
        for channel in channels:
            column = "g.email" if channel == "email" else "g.mobile"
            address = f"lower({column})" if channel == "email" else column
            written += c.execute(
                text(
                    "INSERT INTO outbox (idempotency_key, dossier_id, family_id, event, channel, "
                    "recipient, template, context, status, attempts, next_attempt_at, created_at) "
                    f"SELECT 'raw:{reminder}:' || f.family_id || ':{channel}:' || {address}, NULL, "
                    f"f.family_id, 'reminder', '{channel}', {column}, 'reminder', f.context, "
                    f"'pending', 0, :now, :now FROM ({families}) f "
                    f"JOIN guardian g ON g.family_id = f.family_id WHERE {column} <> '' "
                    "ON CONFLICT DO NOTHING"
                ),
                {"now": dt.datetime.now(dt.UTC)},
            ).rowcount
        c.execute(text("DELETE FROM outbox WHERE idempotency_key LIKE 'raw:%'"))
    return written


def raw_outstanding(engine: Engine) -> int:
    with engine.connect() as c:
        return len(c.execute(text(f"SELECT d.id, d.ref, s.family_id {AUDIENCE}{LACKING}")).all())


def supply_documents(engine: Engine) -> None:
    """A third of the families send their documents, some wrong; their pupils a photo."""
    with engine.begin() as c:
        for kind, extra in (
            ("payment_form", "true, NULL, NULL, NULL"),  # signed
            ("quotient_card", "false, NULL, '2022-01-01', '2022-12-31'"),  # expired
        ):
            c.execute(text(
                "INSERT INTO document (family_id, student_id, kind, status, signed, issued, "
                f"valid_from, valid_until, received_at) SELECT id, NULL, '{kind}', 'pending', "
                f"{extra}, :now FROM family WHERE id % 3 = 0"), {"now": LOADED})  # fmt: skip
        c.execute(text(
            "INSERT INTO document (family_id, student_id, kind, status, signed, issued, "
            "received_at) SELECT family_id, id, 'id_photo', 'pending', false, '2023-03-01', :now "
            "FROM student WHERE family_id % 3 = 0"), {"now": LOADED})  # fmt: skip


def run(kind: str, postgres: str | None, pupils: int, data: bytes) -> Report:
    report = Report(f"{kind}, {pupils:,} pupils")
    print(f"\n{report.title}", flush=True)
    with tempfile.TemporaryDirectory() as tmp, database(kind, postgres, Path(tmp)) as url:
        work = Path(tmp)
        loaded(url, work, data, LOADED)
        db = open_database(url, work)
        with timed() as base:
            expected = raw_outstanding(db.engine)
        with db.unit_of_work(read_only=True) as uow:
            campaign = SqlDossierStore(uow.session).campaign(CAMPAIGN_ID, 1)
            with timed() as t:
                found = sum(1 for _ in outstanding(uow.session, campaign, now=ONE_WEEK_LEFT))
        report.add(Figure("outstanding, no document yet", t[0], found, base[0],
                          f"aim < 3 s; baseline found {expected:,}"))  # fmt: skip
        for reminder, now, lacking, channels in (
            ("one_week_left", ONE_WEEK_LEFT, False, ["email"]),
            ("documents_missing", DOCUMENTS_MISSING, True, ["email", "sms"]),
        ):
            with timed() as base:
                raw = raw_reminder(db.engine, reminder, lacking, channels)
            held = reset_peak_memory()
            with timed() as t:
                outcome = send_reminder(db, CAMPAIGN_ID, reminder, now=now)
            note = (f"{outcome.families:,} families, baseline wrote {raw:,}; peak "
                    f"{peak_memory_mb():.0f} MB (the bench process held {held:.0f} MB "
                    "before); aims < 10 s, < 300 MB")  # fmt: skip
            report.add(Figure(f"send_reminder {reminder} (messages)", t[0], outcome.queued,
                              base[0], note))  # fmt: skip
        with timed() as t:
            again = send_reminder(db, CAMPAIGN_ID, "one_week_left", now=ONE_WEEK_LEFT)
        report.add(Figure("send_reminder one_week_left again (all skipped)", t[0], again.skipped))
        supply_documents(db.engine)
        db.refresh_statistics()
        with timed() as base:
            expected = raw_outstanding(db.engine)
        with db.unit_of_work(read_only=True) as uow, timed() as t:
            found = sum(1 for _ in outstanding(uow.session, campaign, now=ONE_WEEK_LEFT))
        report.add(Figure("outstanding, a third of families with documents", t[0], found,
                          base[0], f"baseline found {expected:,} (validity aside)"))  # fmt: skip
        db.dispose()
    return report


def main() -> None:
    args = arguments(__doc__ or "").parse_args()
    on_both(args, lambda kind, postgres, data: run(kind, postgres, args.pupils, data))


if __name__ == "__main__":
    main()
