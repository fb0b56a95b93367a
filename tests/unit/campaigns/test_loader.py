"""Loading campaign files: every error located, in one pass."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dacapo.campaigns.loader import load_campaign, parse_campaign
from dacapo.campaigns.schema import json_schema
from dacapo.commands.campaign import read_campaign
from dacapo.engine.errors import CampaignInvalid

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
