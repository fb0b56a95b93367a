"""Administrators checking, describing and rolling over campaign files."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Result

Dacapo = Callable[..., Result]
BUNDLED = str(ROOT / "campaign-2023-2024.yaml")
BAD = sorted((ROOT / "tests" / "data" / "campaigns" / "bad").glob("*.yaml"))


def test_validate_accepts_the_bundled_campaign_with_a_summary(dacapo: Dacapo) -> None:
    result = dacapo("campaign", "validate", BUNDLED)
    assert result.exit_code == 0
    assert "ok: malakoff-2023-2024 (Conservatoire de Malakoff, 2023/2024)" in result.stdout


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_validate_refuses_each_broken_file_with_exit_2_and_its_position(
    dacapo: Dacapo, path: Path
) -> None:
    expect = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")
    line_col = expect.split(": ", 1)[0]
    result = dacapo("campaign", "validate", str(path))
    assert result.exit_code == 2
    assert f"{path}:{line_col}: " in result.stderr


def test_validate_reports_all_files_and_exits_2_if_any_is_broken(dacapo: Dacapo) -> None:
    result = dacapo("campaign", "validate", BUNDLED, str(BAD[0]), str(BAD[1]))
    assert result.exit_code == 2
    assert "ok: malakoff-2023-2024" in result.stdout
    assert str(BAD[0]) in result.stderr
    assert str(BAD[1]) in result.stderr
    assert "2 errors" in result.stderr


def test_schema_prints_a_json_schema(dacapo: Dacapo) -> None:
    result = dacapo("campaign", "schema")
    schema = json.loads(result.stdout)
    assert schema["additionalProperties"] is False
    assert "windows" in schema["properties"]


def test_show_gives_the_exact_closing_instant_in_paris_and_utc(dacapo: Dacapo) -> None:
    result = dacapo("campaign", "show", BUNDLED)
    assert result.exit_code == 0, result.stderr
    assert "2023-05-24 23:59:59.999999 Europe/Paris" in result.stdout
    assert "2023-05-24 21:59:59.999999 UTC" in result.stdout
    assert "stateDiagram-v2" in result.stdout
    assert "Certificat médical" in result.stdout


def test_show_json_lists_windows_workflows_requirements_and_reminders(dacapo: Dacapo) -> None:
    data = json.loads(dacapo("campaign", "show", BUNDLED, "--json").stdout)
    assert [w["name"] for w in data["windows"]] == ["reenrolment", "new_pupils"]
    assert set(data["workflows"]) == {"reenrolment", "new_pupil"}
    assert [r["id"] for r in data["reminders"]] == [
        "one_week_left",
        "documents_missing",
        "last_day",
    ]
    assert data["requirements"]


def test_roll_writes_next_years_campaign_that_validates(dacapo: Dacapo, tmp_path: Path) -> None:
    out = tmp_path / "campaign-2024-2025.yaml"
    result = dacapo("campaign", "roll", BUNDLED, "--to", "2024/2025", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "opens: 2024-05-10" in text
    assert "valid_until: 2024-12-31" in text
    assert "tax_year: 2023" in text
    assert "# yaml-language-server: $schema=./campaign.schema.json" in text
    assert "is a Sunday" in result.stderr
    assert dacapo("campaign", "validate", str(out)).exit_code == 0


def test_roll_refuses_a_year_that_is_not_later(dacapo: Dacapo) -> None:
    result = dacapo("campaign", "roll", BUNDLED, "--to", "2022/2023")
    assert result.exit_code == 2
    assert "must be later" in result.stderr


def test_try_prints_the_french_reasons_of_sample_dossiers(dacapo: Dacapo) -> None:
    samples = sorted(str(p) for p in (ROOT / "examples" / "dossiers").glob("*.yaml"))
    result = dacapo("--now", "2023-05-15T10:00:00+02:00", "campaign", "try", BUNDLED, *samples)
    assert result.exit_code == 0, result.stderr
    assert "Numéro SMS : uniquement les 10 chiffres du mobile" in result.stdout
    assert "expirée le 31/12/2022" in result.stdout


def test_try_refuses_a_sample_with_a_bad_field_at_its_line(dacapo: Dacapo, tmp_path: Path) -> None:
    sample = tmp_path / "bad.yaml"
    sample.write_text("window: reenrolment\nstate: invited\nfamily: 3\n", encoding="utf-8")
    result = dacapo("campaign", "try", BUNDLED, str(sample))
    assert result.exit_code == 2
    assert f"{sample}:3:9: family" in result.stderr


def test_a_naive_now_is_refused_as_bad_usage(dacapo: Dacapo) -> None:
    result = dacapo("--now", "2023-05-15T10:00:00", "campaign", "schema")
    assert result.exit_code == 2
    assert "no UTC offset" in result.stderr


def test_every_command_has_help_text(dacapo: Dacapo) -> None:
    import typer.main

    from dacapo.cli import app

    group = typer.main.get_command(app)
    pending = [(group, ["dacapo"])]
    while pending:
        command, path = pending.pop()
        assert command.help, f"{' '.join(path)} has no help text"
        for name, sub in getattr(command, "commands", {}).items():
            pending.append((sub, [*path, name]))
            assert dacapo(*path[1:], name, "--help").exit_code == 0


def test_help_and_version_do_not_import_heavy_modules() -> None:
    code = (
        "import sys; from dacapo.cli import app;"
        "heavy = [m for m in ('sqlmodel', 'sqlalchemy', 'apscheduler', 'jinja2', 'transitions')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_validate_reports_broken_campaign_templates_with_their_line(
    dacapo: Dacapo, tmp_path: Path
) -> None:
    text = (ROOT / "tests" / "data" / "campaigns" / "minimal.yaml").read_text(encoding="utf-8")
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(
        text.replace("notifications:\n", "notifications:\n  templates_dir: mine\n"),
        encoding="utf-8",
    )
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "reminder.subject.j2").write_text("Rappel\n{{ guardian.nme }}\n")
    (tmp_path / "mine" / "reminder.txt.j2").write_text("Bonjour {% if %}\n")
    result = dacapo("campaign", "validate", str(campaign))
    assert result.exit_code == 2
    assert (
        f"{tmp_path / 'mine' / 'reminder.subject.j2'}:2:1: 'guardian' has no attribute 'nme'"
        in (result.stderr)
    )
    assert "reminder.txt.j2:1:1: Expected an expression" in result.stderr
