"""Regenerate ``docs/report-screenshot.png``: the HTML report of a small simulated campaign.

    .venv/bin/python docs/make_report_screenshot.py [--keep DIR]

About 180 pupils (``bench.generate.family_csv``) are imported and opened
through the CLI on 10 May 2023; then, day by day until 22 May, families act
through the engine (most verify their details and send their evidence, some
late, a few withdraw, some never start), two dossiers get an extension, the
outbox is dispatched to files once, and two messages fail. The report is
written with ``dacapo report -f html`` and photographed by headless Chromium
(``apt-get install -y chromium``). Deterministic: the same seed, the same picture.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, update  # noqa: E402

from bench.generate import family_csv  # noqa: E402
from dacapo.campaigns.schema import Role  # noqa: E402
from dacapo.engine.errors import DacapoError  # noqa: E402
from dacapo.engine.services import fire  # noqa: E402
from dacapo.rules.snapshot import Actor  # noqa: E402
from dacapo.store.corrections import extend_deadline  # noqa: E402
from dacapo.store.database import Database, open_database  # noqa: E402
from dacapo.store.engine_port import SqlDossierStore  # noqa: E402
from dacapo.store.report_queries import DOSSIER, OUTBOX, STUDENT  # noqa: E402
from dacapo.store.tables import Answer, Document  # noqa: E402

PARIS = dt.timezone(dt.timedelta(hours=2))  # May 2023 in Europe/Paris
REPORT_AT = dt.datetime(2023, 5, 22, 18, 0, tzinfo=PARIS)
STAFF = Actor(Role.STAFF, "scolarite")
OUTPUT = ROOT / "docs" / "report-screenshot.png"
CHROMIUM = "/usr/bin/chromium"


def cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "dacapo", "-q", *args], env=env, check=True, cwd=ROOT)


def at(day: int, rng: random.Random) -> dt.datetime:
    return dt.datetime(2023, 5, day, rng.randint(8, 21), rng.randint(0, 59), tzinfo=PARIS)


def prepare_answers_and_documents(db: Database, rng: random.Random) -> None:
    """Every family answers; most send their evidence, some forget a piece."""
    with db.unit_of_work() as uow:
        s = uow.session
        rows = s.execute(
            select(DOSSIER.c.id, STUDENT.c.id, STUDENT.c.family_id, STUDENT.c.cycle).join(
                STUDENT, STUDENT.c.id == DOSSIER.c.student_id
            )
        ).all()
        families = sorted({family for _, _, family, _ in rows})
        for family in families:
            if rng.random() < 0.85:
                s.add(Document(family_id=family, kind="payment_form", signed=True))
            if rng.random() < 0.8:
                valid = {"valid_from": dt.date(2023, 1, 1), "valid_until": dt.date(2023, 12, 31)}
                s.add(Document(family_id=family, kind="quotient_card", **valid))
        for dossier, student, family, cycle in rows:
            preferences = ["Éveil musical", "Violon"] if cycle == "eveil" else []
            s.execute(update(Answer).where(Answer.dossier_id == dossier)  # type: ignore[arg-type]
                      .values(intent=True, preferences=preferences))  # fmt: skip
            if rng.random() < 0.9:
                s.add(Document(family_id=family, student_id=student, kind="id_photo",
                               issued=dt.date(2023, 4, rng.randint(1, 28))))  # fmt: skip
        uow.commit()


def step(db: Database, ref: str, event: str, when: dt.datetime) -> bool:
    try:
        with db.unit_of_work() as uow:
            fire(SqlDossierStore(uow.session), ref, event, STAFF, now=when)
            uow.commit()
    except DacapoError:
        return False  # refused (a missing piece): the family stays where it is
    return True


def play(db: Database, rng: random.Random) -> None:
    with db.unit_of_work(read_only=True) as uow:
        refs = list(uow.session.execute(select(DOSSIER.c.ref).order_by(DOSSIER.c.ref)).scalars())
    for ref in refs:
        persona = rng.random()
        if persona < 0.06:
            step(db, ref, "withdraw", at(rng.randint(10, 21), rng))
            continue
        if persona > 0.78:
            continue  # has not started yet
        start = rng.randint(10, 15) if persona < 0.5 else rng.randint(15, 21)
        if not step(db, ref, "verify_identity", at(start, rng)):
            continue
        later = min(22, start + rng.randint(0, 3))
        supplied = rng.random() < 0.85 and step(db, ref, "supply_documents", at(later, rng))
        if supplied and rng.random() < 0.9:
            step(db, ref, "accept_rules", at(min(22, later + rng.randint(0, 1)), rng))


def extend_two(db: Database) -> None:
    with db.unit_of_work() as uow:
        refs = uow.session.execute(
            select(DOSSIER.c.ref).where(DOSSIER.c.state == "invited").order_by(DOSSIER.c.ref)
        ).scalars()
        for ref in list(refs)[:2]:
            when = dt.datetime(2023, 5, 19, 11, 0, tzinfo=PARIS)
            extend_deadline(uow.session, ref, dt.date(2023, 5, 31), actor=STAFF, now=when,
                            reason="Famille à l'étranger")  # fmt: skip
        uow.commit()


def fail_two_messages(db: Database) -> None:
    with db.unit_of_work() as uow:
        ids = list(uow.session.execute(
            select(OUTBOX.c.id).where(OUTBOX.c.status == "sent").order_by(OUTBOX.c.id).limit(2)
        ).scalars())  # fmt: skip
        refused = {"status": "failed", "last_error": "550 5.1.1 Mailbox unavailable"}
        uow.session.execute(update(OUTBOX).where(OUTBOX.c.id.in_(ids)).values(**refused))
        uow.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="Build the data here and keep it.")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="dacapo-screenshot-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DACAPO_DATA_DIR": str(work), "DACAPO_ACTOR": "scolarite"}
    env.pop("DACAPO_DATABASE_URL", None)
    (work / "familles.csv").write_bytes(family_csv(180, seed=7))
    cli(env, "family", "import", str(work / "familles.csv"), "--site", "malakoff")
    cli(env, "--now", "2023-05-10T08:00:00+02:00", "campaign", "load",
        str(ROOT / "campaign-2023-2024.yaml"))  # fmt: skip
    rng = random.Random(7)
    db = open_database(None, work)
    try:
        prepare_answers_and_documents(db, rng)
        play(db, rng)
        extend_two(db)
        cli(env, "--now", "2023-05-20T12:00:00+02:00", "outbox", "dispatch", "--channel", "file")
        fail_two_messages(db)
    finally:
        db.dispose()
    page = work / "rapport.html"
    cli(env, "--now", REPORT_AT.isoformat(), "report", "malakoff-2023-2024", "-f", "html",
        "-o", str(page))  # fmt: skip
    subprocess.run(
        [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
         f"--user-data-dir={work / 'chromium'}", "--window-size=1280,1700",
         f"--screenshot={args.output}", page.as_uri()],
        check=True, capture_output=True,
    )  # fmt: skip
    print(f"{args.output} ({args.output.stat().st_size // 1024} KB) from {page}")


if __name__ == "__main__":
    main()
