"""Rolling a campaign file to a later school year, layout and comments kept."""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from dacapo.campaigns.roll import RollResult, roll, shift
from dacapo.campaigns.schema import Campaign

BUNDLED = Path(__file__).parents[3] / "campaign-2023-2024.yaml"
SOURCE = "campaign-2023-2024.yaml"


@pytest.fixture(scope="module")
def text() -> str:
    return BUNDLED.read_text()


@pytest.fixture(scope="module")
def rolled(text: str) -> RollResult:
    return roll(text, "2024/2025", source_name=SOURCE)


def load(text: str) -> Campaign:
    return Campaign.model_validate(YAML(typ="safe").load(text))


def changed_lines(before: str, after: str) -> dict[int, tuple[str, str]]:
    """1-based line → (old, new), for a diff that replaces lines one for one."""
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)
    changes = {}
    for tag, i1, i2, j1, _ in difflib.SequenceMatcher(None, old, new).get_opcodes():
        assert tag in ("equal", "replace"), tag
        if tag == "replace":
            changes.update({i + 1: (old[i], new[j1 + i - i1]) for i in range(i1, i2)})
    return changes


def at(text: str, entry: str) -> str:
    """``line:column`` (1-based) of the value in ``entry``, a unique ``"key: value"``."""
    assert text.count(entry) == 1, entry
    before = text[: text.index(entry) + entry.index(": ") + 2]
    line = before.count("\n") + 1
    column = len(before) - before.rfind("\n")
    return f"{line}:{column}"


def with_line(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


class TestRollingTheBundledCampaign:
    def test_windows_move_by_one_year(self, rolled: RollResult) -> None:
        windows = load(rolled.text).windows
        assert (windows["reenrolment"].opens, windows["reenrolment"].closes) == (
            dt.date(2024, 5, 10),
            dt.date(2024, 5, 24),
        )
        assert (windows["new_pupils"].opens, windows["new_pupils"].closes) == (
            dt.date(2024, 6, 5),
            dt.date(2024, 6, 30),
        )

    def test_document_constraints_move_with_the_year(self, rolled: RollResult) -> None:
        documents = load(rolled.text).requirements.documents
        card, notice = documents["income_evidence"].accepts
        assert (card.valid_from, card.valid_until) == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
        assert (notice.tax_year, notice.income_year) == (2023, 2022)
        certificate = documents["medical_certificate"]
        assert certificate.accepts[0].issued_on_or_after == dt.date(2024, 7, 1)
        assert certificate.deferred is not None
        assert certificate.deferred.due == dt.date(2024, 9, 30)

    def test_the_school_year_id_title_and_house_rules_version_follow(
        self, rolled: RollResult
    ) -> None:
        campaign = load(rolled.text)
        assert campaign.school_year == "2024/2025"
        assert campaign.school_year_starts == dt.date(2024, 9, 1)
        assert campaign.id == "malakoff-2024-2025"
        assert campaign.title == "Réinscriptions administratives 2024/2025"
        assert campaign.house_rules.version == "2024"
        assert campaign.house_rules.url == load(BUNDLED.read_text()).house_rules.url

    def test_only_the_changed_values_differ(self, text: str, rolled: RollResult) -> None:
        values = [
            "id: malakoff-2023-2024",
            "title: Réinscriptions administratives 2023/2024",
            "school_year: 2023/2024",
            "school_year_starts: 2023-09-01",
            'version: "2023"',
            "opens: 2023-05-10",
            "closes: 2023-05-24",
            "opens: 2023-06-05",
            "closes: 2023-06-30",
            "valid_from: 2023-01-01",
            "valid_until: 2023-12-31",
            "tax_year: 2022",
            "income_year: 2021",
            "due: 2023-09-30",
            "chase_on: 2023-09-11",
            "issued_on_or_after: 2023-07-01",
        ]
        lines = {value: int(at(text, value).split(":")[0]) for value in values}
        changes = changed_lines(text, rolled.text)
        assert sorted(changes) == sorted(lines.values())
        assert changes[lines["school_year_starts: 2023-09-01"]] == (
            "school_year_starts: 2023-09-01      # adult pupils: 18 or over on this day",
            "school_year_starts: 2024-09-01      # adult pupils: 18 or over on this day",
        )
        assert changes[lines['version: "2023"']] == ('  version: "2023"', '  version: "2024"')
        assert changes[lines["tax_year: 2022"]] == (
            "          tax_year: 2022",
            "          tax_year: 2023",
        )

    def test_comments_quotes_and_folded_text_are_kept(self, rolled: RollResult) -> None:
        lines = rolled.text.splitlines()
        assert lines[0] == "# yaml-language-server: $schema=./campaign.schema.json"
        assert "# I. Se connecter" in lines
        assert '    at: "10:00"' in lines
        assert "  credentials: >-" in lines

    def test_the_rolled_file_is_a_valid_campaign(self, rolled: RollResult) -> None:
        assert load(rolled.text).workflows == load(BUNDLED.read_text()).workflows

    def test_changes_list_path_old_and_new_value(self, rolled: RollResult) -> None:
        assert ("windows.new_pupils.opens", dt.date(2023, 6, 5), dt.date(2024, 6, 5)) in (
            rolled.changes
        )
        assert (
            "requirements.documents.income_evidence.accepts[1].tax_year",
            2022,
            2023,
        ) in rolled.changes
        assert ("school_year", "2023/2024", "2024/2025") in rolled.changes
        assert len(rolled.changes) == 16

    def test_warnings_name_the_sundays_and_holidays_with_their_line(
        self, text: str, rolled: RollResult
    ) -> None:
        # 2024/2025: 1 Sep and 30 Jun are Sundays, 1 Jan is New Year's Day; the
        # windows' other days (Fri 10 May, Fri 24 May, Wed 5 Jun) are working days.
        assert rolled.warnings == [
            f"{SOURCE}:3: a comment still names 2023, 2024: "
            "# Conservatoire de Malakoff — re-enrolment campaign 2023/2024.",
            f"{SOURCE}:{at(text, 'school_year_starts: 2023-09-01')}: school_year_starts: "
            "2024-09-01 is a Sunday",
            f"{SOURCE}:{at(text, 'closes: 2023-06-30')}: windows.new_pupils.closes: "
            "2024-06-30 is a Sunday",
            f"{SOURCE}:{at(text, 'valid_from: 2023-01-01')}: "
            "requirements.documents.income_evidence.accepts[0].valid_from: "
            "2024-01-01 is a public holiday in France (New Year's Day)",
        ]

    def test_rolling_two_years_ahead_moves_everything_by_two(self, text: str) -> None:
        campaign = load(roll(text, "2025/2026", source_name=SOURCE).text)
        assert (campaign.id, campaign.school_year) == ("malakoff-2025-2026", "2025/2026")
        assert campaign.windows["reenrolment"].opens == dt.date(2025, 5, 10)
        assert campaign.requirements.documents["income_evidence"].accepts[1].tax_year == 2024


class TestHolidays:
    def test_a_date_rolled_onto_victory_day_is_a_warning(self, text: str) -> None:
        moved = with_line(text, "opens: 2023-05-10", "opens: 2023-05-08")
        result = roll(moved, "2024/2025", source_name="c.yaml")
        assert (
            f"c.yaml:{at(moved, 'opens: 2023-05-08')}: windows.reenrolment.opens: "
            "2024-05-08 is a public holiday in France (Victory Day)"
        ) in result.warnings

    def test_a_date_rolled_onto_christmas_is_a_warning(self, text: str) -> None:
        moved = with_line(text, "due: 2023-09-30", "due: 2023-12-25")
        result = roll(moved, "2024/2025", source_name="c.yaml")
        assert (
            f"c.yaml:{at(moved, 'due: 2023-12-25')}: "
            "requirements.documents.medical_certificate.deferred.due: "
            "2024-12-25 is a public holiday in France (Christmas Day)"
        ) in result.warnings

    def test_a_sunday_that_is_a_holiday_says_both(self, text: str) -> None:
        # 14 July 2024 is a Sunday.
        moved = with_line(text, "due: 2023-09-30", "due: 2023-07-14")
        result = roll(moved, "2024/2025", source_name="c.yaml")
        assert result.warnings[-1].endswith(
            "2024-07-14 is a Sunday and a public holiday in France (National Day)"
        )

    def test_29_february_becomes_28_february_with_a_warning(self, text: str) -> None:
        moved = with_line(text, "valid_until: 2023-12-31", "valid_until: 2024-02-29")
        result = roll(moved, "2024/2025", source_name="c.yaml")
        card = load(result.text).requirements.documents["income_evidence"].accepts[0]
        assert card.valid_until == dt.date(2025, 2, 28)
        assert (
            f"c.yaml:{at(moved, 'valid_until: 2024-02-29')}: "
            "requirements.documents.income_evidence.accepts[0].valid_until: "
            "2024-02-29 moved to 2025-02-28"
        ) in result.warnings


class TestFreeText:
    def test_document_labels_move_their_years_but_urls_do_not(self, text: str) -> None:
        edited = with_line(
            text,
            "tax_notice: {label: Avis d'imposition}",
            "tax_notice: {label: Avis d'imposition 2022 sur les revenus 2021}",
        )
        edited = with_line(
            edited, "url: https://www.imuse-valleesud.fr/extranet/", "url: https://x.fr/2023/"
        )
        result = roll(edited, "2024/2025", source_name="c.yaml")
        campaign = load(result.text)
        label = campaign.document_kinds["tax_notice"].label
        assert label == "Avis d'imposition 2023 sur les revenus 2022"
        assert campaign.portal is not None
        assert campaign.portal.url == "https://x.fr/2023/"
        where = at(edited, "url: https://x.fr/2023/")
        assert f"c.yaml:{where}: portal.url: still names 2023; check it" in result.warnings

    def test_other_text_changes_only_where_it_names_the_school_year(self, text: str) -> None:
        edited = with_line(
            text,
            "label: Réinscriptions administratives en ligne",
            "label: Réinscriptions 2023-2024 (rentrée 2023)",
        )
        result = roll(edited, "2024/2025", source_name="c.yaml")
        assert load(result.text).windows["reenrolment"].label == (
            "Réinscriptions 2024-2025 (rentrée 2023)"
        )

    def test_a_folded_text_keeps_its_folding(self, text: str) -> None:
        edited = with_line(
            text, "(les mêmes que pour le paiement en ligne)", "(les mêmes qu'en 2023/2024)"
        )
        result = roll(edited, "2024/2025", source_name="c.yaml")
        changes = changed_lines(edited, result.text)
        assert changes[29] == (
            "    (les mêmes qu'en 2023/2024). Chaque responsable a ses propres",
            "    (les mêmes qu'en 2024/2025). Chaque responsable a ses propres",
        )
        assert load(result.text).portal is not None


class TestRefusals:
    @pytest.mark.parametrize("target", ["2024-2025", "2024/2026", "24/25", "2024", ""])
    def test_a_target_that_is_not_a_school_year_is_refused(self, text: str, target: str) -> None:
        with pytest.raises(ValueError, match=r"must read 'YYYY/YYYY\+1'"):
            roll(text, target, source_name=SOURCE)

    @pytest.mark.parametrize("target", ["2023/2024", "2022/2023"])
    def test_a_target_not_later_than_the_campaign_is_refused(self, text: str, target: str) -> None:
        with pytest.raises(ValueError, match="must be later than the campaign's 2023/2024"):
            roll(text, target, source_name=SOURCE)

    def test_a_file_without_a_school_year_is_refused(self) -> None:
        with pytest.raises(ValueError, match=r"c\.yaml: school_year must read"):
            roll("id: x\n", "2024/2025", source_name="c.yaml")


@given(st.dates(max_value=dt.date(9000, 12, 31)), st.integers(min_value=1, max_value=50))
def test_a_shifted_date_keeps_its_month_and_day_except_29_february(
    day: dt.date, years: int
) -> None:
    moved = shift(day, years)
    assert moved.year == day.year + years
    assert moved.month == day.month
    assert moved.day == day.day or (day.month, day.day, moved.day) == (2, 29, 28)
