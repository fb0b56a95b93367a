"""Loading campaign files: every error located, in one pass."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from dacapo.campaigns.loader import load_campaign, parse_campaign
from dacapo.campaigns.schema import json_schema
from dacapo.commands.campaign import read_campaign
from dacapo.engine.errors import CampaignInvalid
from dacapo.notifications.catalog import template_names

ROOT = Path(__file__).parents[3]
BUNDLED = ROOT / "campaign-2023-2024.yaml"
MINIMAL = ROOT / "tests" / "data" / "campaigns" / "minimal.yaml"
BAD = sorted((ROOT / "tests" / "data" / "campaigns" / "bad").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+)$")


def _expectation(path: Path) -> tuple[int, int, str]:
    match = EXPECT.match(path.read_text(encoding="utf-8").splitlines()[0])
    assert match, f"{path.name} has no '# expect: LINE:COL: fragment' first line"
    return int(match[1]), int(match[2]), match[3]


def test_the_corpus_holds_at_least_thirty_broken_files() -> None:
    assert len(BAD) >= 30


def test_the_bundled_campaign_loads_with_both_windows() -> None:
    campaign = read_campaign(BUNDLED).campaign
    assert campaign.id == "malakoff-2023-2024"
    assert set(campaign.windows) == {"reenrolment", "new_pupils"}
    assert set(campaign.workflows["reenrolment"].states) == {
        "invited",
        "identity_verified",
        "documents_supplied",
        "rules_accepted",
        "confirmed",
        "withdrawn",
        "lapsed",
    }


def test_the_minimal_campaign_loads() -> None:
    assert read_campaign(MINIMAL).campaign.id == "demo-2023-2024"


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_each_broken_file_is_refused_at_its_line_and_column(path: Path) -> None:
    line, column, fragment = _expectation(path)
    with pytest.raises(CampaignInvalid) as caught:
        read_campaign(path)
    located = [(p.line, p.column, p.message) for p in caught.value.problems]
    assert any(
        (p_line, p_col) == (line, column) and fragment in message
        for p_line, p_col, message in located
    ), f"expected {line}:{column}: …{fragment}…, got {located}"
    for problem in caught.value.problems:
        assert str(problem).startswith(f"{path}:{problem.line}:{problem.column}: ")


def test_every_error_is_reported_in_one_pass() -> None:
    text = MINIMAL.read_text(encoding="utf-8")
    text = text.replace("timezone: Europe/Paris", "timezone: Mars/Olympus")
    text = text.replace("closes: 2023-05-24", "closes: 2023-13-01")
    text = text.replace(
        "    label: Réinscriptions en ligne\n", "    lable: Réinscriptions en ligne\n"
    )
    with pytest.raises(CampaignInvalid) as caught:
        parse_campaign(text, "c.yaml")
    paths = {p.path for p in caught.value.problems}
    assert {"timezone", "windows.reenrolment.closes", "windows.reenrolment.lable"} <= paths


def test_graph_errors_are_all_reported_together() -> None:
    text = MINIMAL.read_text(encoding="utf-8")
    text = text.replace("initial: invited", "initial: invite")
    text = text.replace("documents_present]", "documents_presnt]")
    with pytest.raises(CampaignInvalid) as caught:
        parse_campaign(text, "c.yaml")
    messages = " | ".join(p.message for p in caught.value.problems)
    assert "unknown state 'invite'" in messages
    assert "unknown guard 'documents_presnt'" in messages


def test_an_unreadable_file_names_itself(tmp_path: Path) -> None:
    with pytest.raises(CampaignInvalid, match=r"missing\.yaml:1:1: cannot read"):
        load_campaign(tmp_path / "missing.yaml")


def test_a_latin1_file_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MINIMAL.read_text(encoding="utf-8").encode("latin-1"))
    with pytest.raises(CampaignInvalid) as caught:
        load_campaign(path)
    problem = caught.value.problems[0]
    assert problem.message.startswith("not UTF-8 text (byte 0xe9)")
    assert (problem.line, problem.column) == (5, 27)  # « démonstration »


def with_templates_dir(folder: Path, where: str) -> Path:
    """The minimal campaign in ``folder``, naming ``where`` as its templates folder."""
    text = MINIMAL.read_text(encoding="utf-8")
    assert text.count("\nnotifications:\n") == 1
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "campaign.yaml"
    path.write_text(
        text.replace("\nnotifications:\n", f"\nnotifications:\n  templates_dir: {where}\n"),
        encoding="utf-8",
    )
    return path


def test_a_relative_templates_dir_comes_back_in_full_next_to_the_file_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = with_templates_dir(tmp_path / "campaigns", "../malakoff/templates")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "campaigns")
    here = load_campaign(Path("campaign.yaml"))
    monkeypatch.chdir(tmp_path / "elsewhere")
    there = load_campaign(Path("..") / "campaigns" / "campaign.yaml")

    full = str((tmp_path / "malakoff" / "templates").resolve())
    assert here.campaign.notifications.templates_dir == full
    assert there.campaign == here.campaign
    assert there.sha256 == here.sha256  # reloaded from elsewhere: not a new version
    assert here.text == path.read_text(encoding="utf-8")  # the file is stored as written


def test_the_same_file_in_another_folder_names_other_templates_and_hashes_apart(
    tmp_path: Path,
) -> None:
    first = with_templates_dir(tmp_path / "2023", "templates")
    moved = tmp_path / "2024" / "campaign.yaml"
    moved.parent.mkdir()
    shutil.copy(first, moved)

    a, b = load_campaign(first), load_campaign(moved)

    assert a.campaign.notifications.templates_dir == str(
        (tmp_path / "2023" / "templates").resolve()
    )
    assert b.campaign.notifications.templates_dir == str(
        (tmp_path / "2024" / "templates").resolve()
    )
    assert a.sha256 != b.sha256  # so a process caching definitions by hash keeps both


@pytest.mark.parametrize("where", ["/srv/dacapo/templates/", None], ids=["absolute", "none"])
def test_an_absolute_templates_dir_or_none_is_kept_as_written_and_the_hash_is_the_files(
    tmp_path: Path, where: str | None
) -> None:
    path = with_templates_dir(tmp_path, where) if where else MINIMAL

    loaded = load_campaign(path)

    assert loaded.campaign.notifications.templates_dir == where
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_templates_are_looked_for_in_the_folder_next_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = with_templates_dir(tmp_path / "campaigns", "mine")
    monkeypatch.chdir(tmp_path)
    asked: list[str | None] = []

    def known(name: str | None) -> set[str]:
        asked.append(name)
        return template_names()  # the shipped ones

    load_campaign(path.relative_to(tmp_path), templates=known)

    assert asked == [str((tmp_path / "campaigns" / "mine").resolve())]


def test_yaml_12_reads_no_and_on_as_text_not_booleans() -> None:
    text = MINIMAL.read_text(encoding="utf-8").replace(
        "title: Réinscriptions 2023/2024", "title: no"
    )
    assert parse_campaign(text, "c.yaml").title == "no"


def test_the_published_schema_file_matches_the_code() -> None:
    published = json.loads((ROOT / "campaign.schema.json").read_text(encoding="utf-8"))
    assert published == json_schema()


def test_the_bundled_file_points_editors_at_the_schema() -> None:
    first = BUNDLED.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=./campaign.schema.json"
