"""``dacapo simulate`` through the CLI: the funnel, the report, the messages, a fresh database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.e2e.conftest import ROOT, Result

Dacapo = Callable[..., Result]
CAMPAIGN = str(ROOT / "campaign-2023-2024.yaml")
DOCUMENTS = str(ROOT / "examples" / "documents")


def simulate(dacapo: Dacapo, out: Path, *extra: str) -> Result:
    return dacapo(
        "simulate", CAMPAIGN, "--families", "6", "--seed", "3", "--out", str(out),
        "--documents", DOCUMENTS, *extra,
    )  # fmt: skip


def test_prints_the_funnel_day_by_day_writes_the_report_and_the_messages_and_replays(
    dacapo: Dacapo, tmp_path: Path
) -> None:
    out = tmp_path / "simulation"
    result = simulate(dacapo, out)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("day "))
    assert "invit" in header
    assert "confi" in header
    assert "lapse" in header
    assert "wish" in header
    days = [line for line in lines if line[:4] in {"Tue ", "Wed ", "Thu ", "Sat "}]
    assert days[0].startswith("Tue 09/05")
    assert days[-1].startswith("Sat 01/07")
    assert any("close:reenrolment" in line for line in days)
    assert "End states by persona:" in lines
    assert f"Report: {out / 'report.html'}" in lines
    report = (out / "report.html").read_text("utf-8")
    assert "Réinscriptions administratives 2023/2024" in report
    names = [p.name for p in (out / "outbox").iterdir()]
    assert any(n.endswith(".eml") for n in names)
    assert any(n.endswith(".txt") for n in names)
    assert f"Messages sent: {len(names)} files in {out / 'outbox'}/" in lines
    assert (out / "journal.txt").read_text("utf-8").count("\n") > 50

    again = simulate(dacapo, out)  # the previous simulation's files are replaced
    assert again.exit_code == 0, again.stderr
    assert again.stdout == result.stdout


def test_refuses_a_folder_it_did_not_make_and_a_database_that_is_not_empty(
    dacapo: Dacapo, tmp_path: Path
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("à garder")
    refused = simulate(dacapo, mine)
    assert refused.exit_code == 2
    assert "not empty and no simulation made it" in refused.stderr
    assert (mine / "notes.txt").read_text() == "à garder"

    used = tmp_path / "used.sqlite3"
    sample = ROOT / "tests" / "data" / "csv" / "malakoff-sample.csv"
    imported = dacapo(
        "--db", f"sqlite:///{used}", "family", "import", str(sample), "--site", "malakoff"
    )
    assert imported.exit_code == 0, imported.stderr
    refused = simulate(dacapo, tmp_path / "out", "--db", f"sqlite:///{used}")
    assert refused.exit_code == 2
    assert "the database is not empty" in refused.stderr
    assert "in family" in refused.stderr
