"""Closing a window at scale: ``close_window`` against a raw set-based SQL baseline.

    .venv/bin/python -m bench.closing [--pupils 100000] [--postgres URL | --no-postgres]
        [--markdown FILE]

For each database, 100,000 pupils are imported and the campaign loaded through
the CLI (as in ``bench.dossier_engine``); 1% of the dossiers get an extension.
The database is then copied (the SQLite file; ``CREATE DATABASE ... TEMPLATE``
on PostgreSQL, which needs a role allowed to create databases). On one copy
``close_window`` runs in a process of its own (so its peak memory is its own);
on the other, a raw baseline does the same writes in one transaction: UPDATE
of the states, ``INSERT ... SELECT`` of the audit rows (no hash) and of one
lapse notice per guardian email. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text

from bench.common import Figure, Report, arguments, on_both, peak_memory_mb, timed
from bench.dossier_engine import NOW, loaded
from dacapo.store.database import open_database
from dacapo.store.engines import make_engine

CAMPAIGN_ID = "malakoff-2023-2024"
AFTER_CLOSE = dt.datetime(2023, 5, 26, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
CLOSES_AT = dt.datetime(2023, 5, 24, 22, 0, tzinfo=dt.UTC)
OPEN_STATES = ("invited", "identity_verified", "documents_supplied", "rules_accepted")


def build(url: str, work: Path, data: bytes) -> None:
    """Families imported and the campaign loaded through the CLI; 1% of dossiers extended."""
    loaded(url, work, data, NOW)
    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(text("UPDATE dossier SET deadline = '2023-05-31' WHERE id % 100 = 0"))
    engine.dispose()  # SQLite: the last connection closed folds the WAL into the file


@contextmanager
def databases(kind: str, postgres: str | None, work: Path) -> Iterator[tuple[str, str]]:
    """Two URLs: where the database is built, and where its copy will be."""
    if kind == "sqlite":
        yield f"sqlite:///{work / 'ours.sqlite3'}", f"sqlite:///{work / 'raw.sqlite3'}"
        return
    assert postgres is not None
    token = secrets.token_hex(4)
    names = [f"bench_close_{token}_{side}" for side in ("ours", "raw")]
    admin = make_engine(postgres).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{names[0]}"')
    base = make_url(postgres)
    try:
        ours, raw = (base.set(database=n).render_as_string(hide_password=False) for n in names)
        yield ours, raw
    finally:
        with admin.connect() as c:
            for name in names:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def copy(kind: str, postgres: str | None, source: str, target: str) -> None:
    if kind == "sqlite":
        source_file, target_file = (Path(make_url(u).database or "") for u in (source, target))
        for suffix in ("", "-wal"):
            if Path(f"{source_file}{suffix}").exists():
                shutil.copyfile(f"{source_file}{suffix}", f"{target_file}{suffix}")
        return
    assert postgres is not None
    admin = make_engine(postgres).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(
            f'CREATE DATABASE "{make_url(target).database}" TEMPLATE "{make_url(source).database}"'
        )
    admin.dispose()


def ours(url: str, work: Path, *, dry_run: bool = False) -> dict[str, Any]:
    """``close_window`` in a fresh process: its time, peak memory and outcome."""
    command = [sys.executable, "-m", "bench.closing", "--worker", url, "--data-dir", str(work)]
    command += ["--dry-run"] * dry_run
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"close_window failed:\n{out.stderr}")
    return dict(json.loads(out.stdout))


def worker(url: str, work: Path, *, dry_run: bool) -> None:
    from dacapo.store.closing import close_window

    database = open_database(url, work)
    with timed() as t:
        outcome = close_window(
            database, CAMPAIGN_ID, "reenrolment", now=AFTER_CLOSE, dry_run=dry_run
        )
    database.dispose()
    print(json.dumps({"seconds": t[0], "peak_mb": peak_memory_mb(), "lapsed": outcome.lapsed,
                      "notices": outcome.notices, "chunks": outcome.chunks,
                      "kept": outcome.kept_with_extension}))  # fmt: skip


def raw_close(url: str) -> tuple[int, int, int]:
    """Baseline: the same writes as three set-based statements in one transaction."""
    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    json_object = "json_object" if sqlite else "json_build_object"
    context = (f"{json_object}('dossier', d.ref, 'event', 'lapse', 'reason', NULL, "
               "'effective_at', '2023-05-24T22:00:00+00:00')")  # fmt: skip
    selected = _open_and_not_extended("d.")
    now, closes = AFTER_CLOSE.astimezone(dt.UTC), CLOSES_AT
    if sqlite:  # SQLite keeps UTC wall time as text (see store.types.UTCDateTime)
        now, closes = now.replace(tzinfo=None), closes.replace(tzinfo=None)
    params = {"campaign": CAMPAIGN_ID, "now": now, "closes": closes}
    with engine.begin() as c:
        notices = c.execute(text(
            "INSERT INTO outbox (idempotency_key, dossier_id, family_id, event, channel, "
            "recipient, template, context, status, attempts, next_attempt_at, created_at) "
            "SELECT 'lapse:' || d.ref || '\\:v' || d.version || ':email:' || g.email, d.id, "
            f"s.family_id, 'lapse', 'email', g.email, 'lapse', {context}, 'pending', 0, "
            ":now, :now FROM dossier d JOIN student s ON s.id = d.student_id "
            f"JOIN guardian g ON g.family_id = s.family_id WHERE {selected} "
            "AND g.email IS NOT NULL"), params).rowcount  # fmt: skip
        audit = c.execute(text(
            "INSERT INTO audit_log (dossier_id, seq, event, from_state, to_state, actor, role, "
            "effective_at, recorded_at, simulated, campaign_version, prev_hash, hash) "
            "SELECT d.id, (SELECT max(a.seq) FROM audit_log a WHERE a.dossier_id = d.id) + 1, "
            "'lapse', d.state, 'lapsed', 'dacapo', 'system', :closes, :now, false, "
            "d.campaign_version, '', '' FROM dossier d WHERE " + selected),
            params).rowcount  # fmt: skip
        moved = c.execute(text(
            "UPDATE dossier SET state = 'lapsed', version = version + 1, updated_at = :now "
            "WHERE " + _open_and_not_extended("")), params).rowcount  # fmt: skip
    engine.dispose()
    return int(moved), int(audit), int(notices)


def _open_and_not_extended(d: str) -> str:
    """The dossiers the closing lapses (``d``: the table alias and a dot, or nothing)."""
    states = ", ".join(f"'{state}'" for state in OPEN_STATES)
    return (
        f"{d}campaign_id = :campaign AND {d}\"window\" = 'reenrolment' AND {d}state IN "
        f"({states}) AND ({d}deadline IS NULL OR {d}deadline <= '2023-05-24')"
    )


def run(kind: str, postgres: str | None, pupils: int, data: bytes) -> Report:
    report = Report(f"closing a window, {kind}, {pupils:,} pupils")
    print(f"\n{report.title}", flush=True)
    with tempfile.TemporaryDirectory() as tmp, databases(kind, postgres, Path(tmp)) as urls:
        work = Path(tmp)
        with timed() as t:
            build(urls[0], work, data)
        print(f"  (built through the CLI in {t[0]:.0f} s)", flush=True)
        copy(kind, postgres, *urls)
        dry = ours(urls[0], work, dry_run=True)
        result = ours(urls[0], work)
        with timed() as base:
            raw = raw_close(urls[1])
        assert raw[0] == result["lapsed"], (raw, result)
        report.add(Figure("close_window --dry-run", dry["seconds"], dry["lapsed"], None,
                          f"peak {dry['peak_mb']:.0f} MB"))  # fmt: skip
        report.add(Figure(
            "close_window (state, audit row, notices)", result["seconds"], result["lapsed"],
            base[0], f"{result['chunks']} chunks, {result['notices']:,} notices "
            f"(raw {raw[2]:,}), {result['kept']:,} kept (extension); peak "
            f"{result['peak_mb']:.0f} MB; aims < 10 s, ≥ 25% of raw, < 300 MB"))  # fmt: skip
    return report


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--worker", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dry-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.data_dir, dry_run=args.dry_run)
        return
    on_both(args, lambda kind, postgres, data: run(kind, postgres, args.pupils, data))


if __name__ == "__main__":
    main()
