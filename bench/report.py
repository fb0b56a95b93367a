"""``dacapo report`` at scale: every format, beside the same queries run bare.

    .venv/bin/python -m bench.report [--pupils 100000] [--postgres URL | --no-postgres]
        [--markdown FILE]

Builds a campaign of ``--pupils`` pupils through the CLI (family import, campaign
load on 10 May 2023), then makes it look like 22 May at 18:00: most families
have sent their evidence (set-based INSERT ... SELECT of documents), dossiers are
spread over the states by id (30 % confirmed, 15 % with their details verified,
10 % with their documents sent, 5 % withdrawn, the rest still invited) with
hash-chained audit rows on days from 10 to 22 May, and the confirmed ones have a
confirmation message each, sent, failed or pending.

Each format is measured in a child process (so that its peak memory is its own):
the report built at 22 May 18:00 and written to a file. The baseline sends the
very statements the report sends (recorded from a first build) on a raw driver
connection and fetches every row, with nothing built on them: the database's
share of the work. ``dacapo report -f html -o`` is also timed through the CLI
(start-up included). CPU seconds are printed beside wall-clock ones, and the
load average with a fixed loop's time, to tell a busy machine from a slow report.
Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from bench.common import Figure, Report, arguments, on_both, peak_memory_mb, timed
from bench.dossier_engine import ROOT, cli, database, loaded
from dacapo.store.audit_bulk import Entry, chain_tips, insert_audit_rows
from dacapo.store.bulk import chunks
from dacapo.store.database import Database, open_database

PARIS = dt.timezone(dt.timedelta(hours=2))  # Europe/Paris in May
OPENED = dt.datetime(2023, 5, 10, 8, 0, tzinfo=PARIS)
NOW = dt.datetime(2023, 5, 22, 18, 0, tzinfo=PARIS)
CAMPAIGN_ID = "malakoff-2023-2024"
FORMATS = ("table", "csv", "json", "html")
STEPS = (
    ("verify_identity", "invited", "identity_verified"),
    ("supply_documents", "identity_verified", "documents_supplied"),
    ("accept_rules", "documents_supplied", "rules_accepted"),
    ("confirm", "rules_accepted", "confirmed"),
)


def persona(dossier_id: int) -> list[tuple[str, str, str]]:
    """The steps a dossier took, by its id: 30 % confirmed ... 35 % still invited."""
    k = dossier_id % 20
    if k <= 5:
        return list(STEPS)
    if k <= 8:
        return list(STEPS[:1])
    if k <= 10:
        return list(STEPS[:2])
    if k == 11:
        return [("withdraw", "invited", "withdrawn")]
    return []


def vary(url: str, work: Path) -> None:
    """Documents, answers, states with their audit rows, and outbox rows (see module doc)."""
    db = open_database(url, work)
    with db.unit_of_work() as uow:
        s = uow.session
        s.execute(text("UPDATE answer SET intent = true"))
        s.execute(text(
            "INSERT INTO document (family_id, kind, status, signed, received_at) "
            "SELECT id, 'payment_form', 'accepted', true, :at FROM family WHERE id % 5 <> 0"
        ), {"at": OPENED})  # fmt: skip
        s.execute(text(
            "INSERT INTO document (family_id, kind, status, signed, valid_from, valid_until, "
            "received_at) SELECT id, 'quotient_card', 'pending', false, '2023-01-01', "
            "'2023-12-31', :at FROM family WHERE id % 5 NOT IN (0, 1)"
        ), {"at": OPENED})  # fmt: skip
        s.execute(text(
            "INSERT INTO document (family_id, student_id, kind, status, signed, issued, "
            "received_at) SELECT family_id, id, 'id_photo', 'pending', false, '2023-04-01', :at "
            "FROM student WHERE id % 7 <> 0"
        ), {"at": OPENED})  # fmt: skip
        ids = list(s.execute(text("SELECT id FROM dossier ORDER BY id")).scalars())
        for part in chunks(ids, 5000):
            tips = chain_tips(s, part)
            entries = []
            for dossier_id in part:
                day = 10 + (dossier_id // 20) % 13
                for n, (event, before, after) in enumerate(persona(dossier_id)):
                    when = dt.datetime(2023, 5, min(22, day + n // 2), 10, n, tzinfo=PARIS)
                    entries.append((dossier_id, Entry(event, before, after, "bench", "staff",
                                                      None, when, when, 1)))  # fmt: skip
            insert_audit_rows(s, entries, tips)
        s.execute(text(
            "UPDATE dossier SET state = CASE WHEN id % 20 <= 5 THEN 'confirmed' "
            "WHEN id % 20 <= 8 THEN 'identity_verified' WHEN id % 20 <= 10 "
            "THEN 'documents_supplied' WHEN id % 20 = 11 THEN 'withdrawn' ELSE 'invited' END, "
            "version = version + 1"
        ))  # fmt: skip
        s.execute(text(
            "INSERT INTO outbox (idempotency_key, dossier_id, family_id, event, channel, "
            "recipient, template, context, status, attempts, next_attempt_at, created_at) "
            "SELECT 'bench:' || d.id, d.id, s.family_id, 'confirmation', 'email', "
            "'parent@example.fr', 'confirmation', '{}', CASE WHEN d.id % 10 < 8 THEN 'sent' "
            "WHEN d.id % 10 = 8 THEN 'failed' ELSE 'pending' END, 1, :at, :at "
            "FROM dossier d JOIN student s ON s.id = d.student_id WHERE d.state = 'confirmed'"
        ), {"at": NOW})  # fmt: skip
        uow.commit()
    db.refresh_statistics()
    if db.dialect == "postgresql":
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE document, outbox")
    db.dispose()


def report_statements(db: Database) -> list[tuple[str, Any]]:
    """The SQL statements ``build_report`` sends, with their parameters, as the driver got them."""
    from dacapo.reports.build import build_report

    sent: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        with db.unit_of_work(read_only=True) as uow:
            build_report(uow.session, CAMPAIGN_ID, now=NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    return sent


def run_bare(db: Database, statements: list[tuple[str, Any]]) -> int:
    """The baseline: the same statements on a raw driver connection, every row fetched,
    nothing built on them (no SQLAlchemy result processing, no Python objects)."""
    raw = db.engine.raw_connection()
    rows = 0
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            if cursor.description is not None:
                rows += len(cursor.fetchall())
        raw.rollback()
    finally:
        raw.close()
    return rows


def child(kind: str, url: str, work: Path) -> dict[str, Any]:
    """One measurement, in this (child) process: a format, or the bare queries."""
    db = open_database(url, work)
    statements = pickle.loads((work / "statements.pickle").read_bytes()) if kind == "raw" else []
    start, cpu = time.perf_counter(), time.process_time()
    if kind == "raw":
        result: dict[str, Any] = {"rows": run_bare(db, statements), "statements": len(statements)}
    else:
        from dacapo.commands.report import TABLE_ROWS
        from dacapo.reports.build import build_report, gc_paused
        from dacapo.reports.output import write_report

        limit = TABLE_ROWS if kind == "table" else None
        target = work / f"report.{kind}"
        with gc_paused():  # as the CLI does
            with db.unit_of_work(read_only=True) as uow:
                built = build_report(uow.session, CAMPAIGN_ID, now=NOW, limit=limit)
            middle = time.perf_counter()
            with target.open("w", encoding="utf-8", newline="") as out:
                write_report(built, kind, out)
        result = {"build": middle - start, "render": time.perf_counter() - middle,
                  "rows": built.call_list_total, "bytes": target.stat().st_size}  # fmt: skip
    result.update(seconds=time.perf_counter() - start, cpu=time.process_time() - cpu,
                  peak_mb=peak_memory_mb())  # fmt: skip
    db.dispose()
    return result


def calibration() -> float:
    """Milliseconds for a fixed pure-Python loop: how fast this machine is right now.

    Printed beside the figures so that runs on a busy machine (cores shared with
    other work) can be told from runs on an idle one."""
    start = time.perf_counter()
    total = 0
    for i in range(1_000_000):
        total += i & 7
    return (time.perf_counter() - start) * 1000


def measure(kind: str, url: str, work: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.report", "--child", kind, "--url", url, "--work", str(work)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    if out.returncode:
        raise SystemExit(f"child {kind} failed:\n{out.stderr}")
    found: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def run(kind: str, postgres: str | None, pupils: int, data: bytes) -> Report:
    report = Report(f"dacapo report, {kind}, {pupils:,} pupils (aim: < 3 s and < 300 MB each)")
    print(f"\n{report.title}", flush=True)
    with tempfile.TemporaryDirectory() as tmp, database(kind, postgres, Path(tmp)) as url:
        work = Path(tmp)
        with timed() as t:
            env = loaded(url, work, data, OPENED)
            vary(url, work)
        print(f"  (database built in {t[0]:.0f} s)", flush=True)
        print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
              f"{calibration():.0f} ms for a fixed pure-Python loop)", flush=True)  # fmt: skip
        db = open_database(url, work)  # the statements of a first build, for the baseline
        (work / "statements.pickle").write_bytes(pickle.dumps(report_statements(db)))
        db.dispose()
        measure("raw", url, work)  # warm the caches for everyone alike
        base = measure("raw", url, work)
        note = (f"{base['statements']} statements, {base['rows']:,} rows fetched, "
                f"CPU {base['cpu']:.2f} s, peak {base['peak_mb']:.0f} MB")  # fmt: skip
        name = "baseline: the report's statements on the bare driver"
        report.add(Figure(name, base["seconds"], pupils, None, note))
        for output_format in FORMATS:
            got = measure(output_format, url, work)
            note = (f"build {got['build']:.2f} s + {output_format} {got['render']:.2f} s "
                    f"(CPU {got['cpu']:.2f} s), {got['bytes'] / 2**20:.1f} MiB, call list "
                    f"{got['rows']:,}, peak {got['peak_mb']:.0f} MB")  # fmt: skip
            report.add(Figure(f"report --format {output_format}", got["seconds"], pupils,
                              base["seconds"], note))  # fmt: skip
        with timed() as t:
            cli(env, "--now", NOW.isoformat(), "report", CAMPAIGN_ID, "-f", "html", "-o",
                str(work / "cli.html"))  # fmt: skip
        report.add(Figure("dacapo report -f html -o (CLI)", t[0], pupils, base["seconds"],
                          "includes the CLI start-up"))  # fmt: skip
    return report


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--child", choices=("raw", *FORMATS), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.url, args.work)))
        return
    on_both(args, lambda kind, postgres, data: run(kind, postgres, args.pupils, data))


if __name__ == "__main__":
    main()
