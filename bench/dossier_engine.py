"""The dossier engine at scale: import, campaign load, sequential fire, dossier list.

    .venv/bin/python -m bench.dossier_engine [--pupils 100000] [--fires 2000]
        [--postgres URL | --no-postgres] [--markdown FILE]

Each figure is measured beside a raw-SQL (or plain-library) baseline doing the
same writes in the same run, on the same machine, and printed with the ratio
(our speed as a share of the baseline's). Import and load run through the CLI,
as staff run them; fire runs through the engine API, one transaction each.
Not a test: it prints figures.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text

from bench.common import Figure, Report, arguments, on_both, timed
from dacapo.campaigns.schema import Role
from dacapo.engine.services import fire
from dacapo.rules.snapshot import Actor
from dacapo.store.database import open_database, upgrade
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.engines import make_engine

ROOT = Path(__file__).parents[1]
CAMPAIGN = ROOT / "campaign-2023-2024.yaml"
NOW = dt.datetime(2023, 5, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
DACAPO = [sys.executable, "-m", "dacapo"]


def cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [*DACAPO, *args], env=env, capture_output=True, text=True, check=False, cwd=ROOT
    )
    if out.returncode:
        raise SystemExit(f"dacapo {' '.join(args)} failed:\n{out.stderr}")
    return out.stdout


def workspace(url: str, work: Path, data: bytes) -> dict[str, str]:
    """The CLI's environment for the database at ``url``: its schema created, the
    families' CSV written to ``work/families.csv``."""
    (work / "families.csv").write_bytes(data)
    if not url.startswith("sqlite"):
        upgrade(url, work)
    open_database(url, work).dispose()  # creates and migrates the SQLite file
    return {**os.environ, "DACAPO_DATA_DIR": str(work), "DACAPO_DATABASE_URL": url,
            "DACAPO_ACTOR": "bench"}  # fmt: skip


def loaded(url: str, work: Path, data: bytes, at: dt.datetime) -> dict[str, str]:
    """``workspace``, the families imported and the campaign loaded ``at``, by the CLI."""
    env = workspace(url, work, data)
    cli(env, "-q", "family", "import", str(work / "families.csv"), "--site", "malakoff")
    cli(env, "-q", "--now", at.isoformat(), "campaign", "load", str(CAMPAIGN))
    return env


@contextmanager
def database(kind: str, postgres: str | None, work: Path) -> Iterator[str]:
    """A fresh SQLite file, or a fresh PostgreSQL schema (dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{work / 'bench.sqlite3'}"
        return
    assert postgres is not None
    schema = f"bench_{secrets.token_hex(4)}"
    admin = make_engine(postgres)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def raw_import(url: str, data: bytes) -> int:
    """Baseline: the csv module and executemany INSERTs, no validation at all."""
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    engine = make_engine(url)
    families: dict[str, dict[str, Any]] = {}
    for r in rows:
        families.setdefault(r["family_ref"], r)
    with engine.begin() as c:
        c.execute(text("INSERT INTO site (code, name) VALUES ('rawsite', 'Raw')"))
        c.execute(
            text(
                "INSERT INTO family (site_code, ref, address, postcode, city, created_at, "
                "updated_at) VALUES ('rawsite', :family_ref, :address, :postcode, :city, "
                ":now, :now)"
            ),
            [{**r, "now": NOW} for r in families.values()],
        )
        ids = dict(c.execute(text("SELECT ref, id FROM family WHERE site_code = 'rawsite'")).all())
        c.execute(
            text(
                "INSERT INTO guardian (family_id, position, last_name, first_name, email, "
                "mobile, email_bounced) VALUES (:fid, 1, :guardian1_last_name, "
                ":guardian1_first_name, :guardian1_email, :guardian1_mobile, false)"
            ),
            [{**r, "fid": ids[r["family_ref"]]} for r in families.values()],
        )
        c.execute(
            text(
                "INSERT INTO student (family_id, site_code, ref, last_name, first_name, "
                "discipline, cycle, status) VALUES (:fid, 'rawsite', :student_ref, "
                ":student_last_name, :student_first_name, :discipline, :cycle, 'continuing')"
            ),
            [{**r, "fid": ids[r["family_ref"]]} for r in rows],
        )
    engine.dispose()
    return len(rows)


def raw_load(url: str) -> int:
    """Baseline: set-based INSERT … SELECT of the dossiers and their first audit rows."""
    engine = make_engine(url)
    with engine.begin() as c:
        made = c.execute(
            text(
                'INSERT INTO dossier (ref, campaign_id, campaign_version, workflow, "window", '
                "student_id, state, version, created_at, updated_at) "
                "SELECT 'raw-' || ref, 'malakoff-2023-2024', 1, 'raw', 'raw', id, "
                "'invited', 1, :now, :now FROM student WHERE site_code = 'rawsite'"
            ),
            {"now": NOW},
        ).rowcount
        c.execute(
            text(
                "INSERT INTO audit_log (dossier_id, seq, event, from_state, to_state, actor, "
                "role, effective_at, recorded_at, simulated, campaign_version, prev_hash, hash) "
                "SELECT id, 1, 'open', 'invited', 'invited', 'bench', 'staff', :now, :now, "
                "false, 1, '', '' FROM dossier WHERE workflow = 'raw'"
            ),
            {"now": NOW},
        )
    engine.dispose()
    return int(made)


def raw_fire(url: str, count: int) -> int:
    """Baseline: per transaction, the same UPDATE (version-checked) and audit INSERT."""
    engine = make_engine(url)
    with engine.connect() as c:
        ids = [
            i
            for (i,) in c.execute(
                text("SELECT id FROM dossier WHERE workflow = 'raw' ORDER BY id LIMIT :n"),
                {"n": count},
            )
        ]
    for dossier_id in ids:
        with engine.begin() as c:
            c.execute(
                text(
                    "UPDATE dossier SET state = 'identity_verified', version = version + 1, "
                    "updated_at = :now WHERE id = :id AND version = 1"
                ),
                {"id": dossier_id, "now": NOW},
            )
            c.execute(
                text(
                    "INSERT INTO audit_log (dossier_id, seq, event, from_state, to_state, actor, "
                    "role, effective_at, recorded_at, simulated, campaign_version, prev_hash, "
                    "hash) VALUES (:id, 2, 'verify_identity', 'invited', 'identity_verified', "
                    "'bench', 'staff', :now, :now, false, 1, '', '')"
                ),
                {"id": dossier_id, "now": NOW},
            )
    engine.dispose()
    return len(ids)


def engine_fire(url: str, work: Path, count: int) -> int:
    db = open_database(url, work)
    with db.engine.connect() as c:
        refs = [r for (r,) in c.execute(text(
            "SELECT ref FROM dossier WHERE workflow = 'reenrolment' AND state = 'invited' "
            "ORDER BY id LIMIT :n"), {"n": count})]  # fmt: skip
    actor = Actor(Role.STAFF, "bench")
    for ref in refs:
        with db.unit_of_work() as uow:
            fire(SqlDossierStore(uow.session), ref, "verify_identity", actor, now=NOW)
            uow.commit()
    db.dispose()
    return len(refs)


def raw_list(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT d.ref, d.state, s.ref, f.ref FROM dossier d JOIN student s "
                "ON s.id = d.student_id JOIN family f ON f.id = s.family_id "
                "WHERE d.campaign_id = 'malakoff-2023-2024' AND d.state = 'invited' "
                "AND d.\"window\" = 'reenrolment' ORDER BY d.ref"
            )
        ).all()
    engine.dispose()
    return len(rows)


def run(kind: str, postgres: str | None, pupils: int, fires: int, data: bytes) -> Report:
    report = Report(f"{kind}, {pupils:,} pupils")
    print(f"\n{report.title}", flush=True)
    with tempfile.TemporaryDirectory() as tmp, database(kind, postgres, Path(tmp)) as url:
        work = Path(tmp)
        csv_path = work / "families.csv"
        env = workspace(url, work, data)
        with timed() as base:
            raw_import(url, data)
        with timed() as t:
            cli(env, "-q", "family", "import", str(csv_path), "--site", "malakoff")
        report.add(Figure("family import (CLI)", t[0], pupils, base[0], "aim < 30 s"))
        with timed() as t:
            cli(env, "-q", "--now", NOW.isoformat(), "campaign", "load", str(CAMPAIGN))
        with timed() as base:  # after: its dossiers need the campaign version to exist
            raw_load(url)
        report.add(Figure("campaign load (CLI)", t[0], pupils, base[0], "aim < 30 s"))
        with timed() as base:
            raw_fire(url, fires)
        with timed() as t:
            done = engine_fire(url, work, fires)
        report.add(
            Figure("sequential fire, 1 txn each", t[0], done, base[0], "aim ≥ 30% of baseline")
        )
        with timed() as base:
            raw_list(url)
        listing = ("dossier", "list", "--state", "invited", "--window", "reenrolment")
        with timed() as t:
            cli(env, *listing)
        report.add(Figure("dossier list --state (CLI table: first 1,000 + count)", t[0], 1000,
                          None, "includes ~1 s of CLI start-up"))  # fmt: skip
        with timed() as t:
            out = cli(env, *listing, "--json")
        listed = out.count('"ref"')
        report.add(Figure("dossier list --state --json (CLI, every row)", t[0], listed, base[0]))
    return report


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--fires", type=int, default=2_000)
    args = parser.parse_args()
    on_both(args, lambda kind, postgres, data: run(kind, postgres, args.pupils, args.fires, data))


if __name__ == "__main__":
    main()
