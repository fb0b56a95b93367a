"""Importing the families of a conservatoire from its CSV export, on both databases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from dacapo.cli import app
from dacapo.engine.imports import parse_families
from dacapo.store.database import Database
from dacapo.store.family_import import ImportSummary, import_families
from dacapo.store.tables import Family, Guardian, Student

ROOT = Path(__file__).parents[2]
SAMPLE = ROOT / "tests" / "data" / "csv" / "malakoff-sample.csv"
NOW = dt.datetime(2023, 5, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DACAPO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DACAPO_ACTOR", "secretariat")
    monkeypatch.delenv("DACAPO_NOW", raising=False)


def _import(db: Database, data: bytes) -> ImportSummary:
    result = parse_families(data, source="families.csv")
    assert result.ok, result.problems
    with db.unit_of_work() as uow:
        summary = import_families(uow.session, "malakoff", result.families, now=NOW)
        uow.commit()
    return summary


def _count(db: Database, model: type) -> int:
    with db.unit_of_work(read_only=True) as uow:
        return int(uow.session.execute(select(func.count()).select_from(model)).scalar_one())


def _guardians(db: Database, family_ref: str) -> list[Guardian]:
    with db.unit_of_work(read_only=True) as uow:
        query = (
            select(Guardian)
            .join(Family, Family.id == Guardian.family_id)  # type: ignore[arg-type]
            .where(Family.ref == family_ref)
            .order_by(Guardian.position)  # type: ignore[arg-type]
        )
        return list(uow.session.execute(query).scalars())


def _cli(database_url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", database_url, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_importing_the_sample_creates_families_guardians_and_continuing_pupils(
    db: Database,
) -> None:
    summary = _import(db, SAMPLE.read_bytes())
    assert (summary.families.new, summary.students.new) == (12, 20)
    assert (_count(db, Family), _count(db, Student)) == (12, 20)
    assert _count(db, Guardian) == summary.guardians.new
    dupont = _guardians(db, "F001")
    assert [(g.position, g.first_name, g.mobile) for g in dupont] == [
        (1, "Marie", "+33612345678"),
        (2, "Paul", "+33761234567"),
    ]
    with db.unit_of_work(read_only=True) as uow:
        zoe = uow.session.execute(select(Student).where(Student.ref == "S0101")).scalar_one()
    assert (zoe.first_name, zoe.birth_date, zoe.status) == (
        "Zoé",
        dt.date(2012, 3, 14),
        "continuing",
    )


def test_importing_the_same_file_again_changes_nothing(db: Database) -> None:
    _import(db, SAMPLE.read_bytes())
    again = _import(db, SAMPLE.read_bytes())
    assert (again.families.new, again.families.updated, again.families.unchanged) == (0, 0, 12)
    assert (again.students.new, again.students.updated, again.students.unchanged) == (0, 0, 20)
    assert (again.guardians.new, again.guardians.updated) == (0, 0)
    assert (_count(db, Family), _count(db, Student)) == (12, 20)


def test_a_changed_email_is_updated_and_forgets_that_the_old_one_bounced(db: Database) -> None:
    _import(db, SAMPLE.read_bytes())
    with db.unit_of_work() as uow:
        marie = uow.session.get_one(Guardian, _guardians(db, "F001")[0].id)
        marie.email_bounced = True
        uow.commit()
    changed = SAMPLE.read_bytes().replace(b"marie.dupont@example.fr", b"marie.dupont@exemple.org")
    summary = _import(db, changed)
    assert (summary.families.updated, summary.families.unchanged) == (1, 11)
    assert (summary.guardians.updated, summary.students.updated) == (1, 0)
    marie = _guardians(db, "F001")[0]
    assert (marie.email, marie.email_bounced) == ("marie.dupont@exemple.org", False)


def test_a_guardian_left_out_of_the_file_is_kept(db: Database) -> None:
    _import(db, SAMPLE.read_bytes())
    paul = "Dupont;Paul;paul.dupont@example.fr;07.61.23.45.67;"
    summary = _import(db, SAMPLE.read_bytes().replace(paul.encode(), b";;;;"))
    assert summary.families.updated == 0
    assert [g.first_name for g in _guardians(db, "F001")] == ["Marie", "Paul"]


def test_a_pupil_listed_under_another_family_moves_to_it(db: Database) -> None:
    _import(db, SAMPLE.read_bytes())
    lines = SAMPLE.read_text(encoding="utf-8-sig").splitlines()
    n_diaye = next(line for line in lines if line.startswith("F002;")).split(";")[:12]
    moved = [
        ";".join(n_diaye + line.split(";")[12:]) if ";S0103;" in line else line for line in lines
    ]
    summary = _import(db, "\n".join(moved).encode())
    assert (summary.students.updated, summary.students.unchanged) == (1, 19)
    with db.unit_of_work(read_only=True) as uow:
        query = select(Family.ref).join(Student, Student.family_id == Family.id)  # type: ignore[arg-type]
        assert uow.session.execute(query.where(Student.ref == "S0103")).scalar_one() == "F002"


def test_a_bad_csv_writes_nothing_and_lists_every_problem(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "families.csv"
    text = SAMPLE.read_text(encoding="utf-8-sig")
    text = text.replace("14/03/2012", "31/02/2012")
    bad.write_text(text.replace("92240;Malakoff;S0201", "9224;Malakoff;S0201"), "utf-8")
    code, _, stderr = _cli(database_url, "family", "import", str(bad), "--site", "malakoff")
    assert code == 2
    assert f"{bad}:2:birth_date: " in stderr
    assert f"{bad}:5:postcode: " in stderr
    assert "nothing imported" in stderr
    assert (_count(db, Family), _count(db, Student)) == (0, 0)


def test_skip_invalid_imports_only_the_valid_families(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "families.csv"
    bad.write_text(
        SAMPLE.read_text(encoding="utf-8-sig").replace("14/03/2012", "31/02/2012"),
        encoding="utf-8",
    )
    args = ("family", "import", str(bad), "--site", "malakoff", "--skip-invalid")
    code, stdout, stderr = _cli(database_url, *args)
    assert code == 0, stderr
    assert f"{bad}:2:birth_date: " in stderr
    assert "families not imported (1, all their rows): F001" in stderr
    assert "Imported 11 families (11 new, 0 updated, 0 unchanged), 17 pupils" in stdout
    with db.unit_of_work(read_only=True) as uow:
        refs = set(uow.session.execute(select(Family.ref)).scalars())
    assert "F001" not in refs
    assert len(refs) == 11


def test_a_dry_run_says_what_it_would_import_and_writes_nothing(
    db: Database, database_url: str
) -> None:
    args = ("family", "import", str(SAMPLE), "--site", "malakoff", "--dry-run")
    code, stdout, _ = _cli(database_url, *args)
    assert code == 0
    assert "Would import 12 families (12 new, 0 updated, 0 unchanged)" in stdout
    assert _count(db, Family) == 0


@pytest.mark.parametrize(("cell", "code"), [("Musique", 0), ("harpe", 2)])
def test_disciplines_are_read_against_the_loaded_campaign_catalog(
    db: Database, database_url: str, tmp_path: Path, cell: str, code: int
) -> None:
    campaign = str(ROOT / "campaign-2023-2024.yaml")
    assert _cli(database_url, "campaign", "load", campaign)[0] == 0
    csv = tmp_path / "families.csv"
    text = SAMPLE.read_text(encoding="utf-8-sig")
    csv.write_text(text.replace("Zoé;14/03/2012;musique", f"Zoé;14/03/2012;{cell}"), "utf-8")
    result = _cli(database_url, "family", "import", str(csv), "--site", "malakoff")
    assert result[0] == code, result[2]
    if code == 0:
        with db.unit_of_work(read_only=True) as uow:
            query = select(Student.discipline).where(Student.ref == "S0101")
            assert uow.session.execute(query).scalar_one() == "musique"
