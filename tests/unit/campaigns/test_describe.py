"""Describing a campaign: windows as instants, reminders, workflow diagrams."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from transitions.extensions.diagrams import GraphMachine

from dacapo.campaigns.describe import mermaid, reminder_rows, window_rows
from dacapo.campaigns.schema import Campaign, StateSpec, Workflow

BUNDLED = Path(__file__).parents[3] / "campaign-2023-2024.yaml"
PARIS_SUMMER = dt.timezone(dt.timedelta(hours=2))


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return Campaign.model_validate(YAML(typ="safe").load(BUNDLED.read_text()))


class TestWindows:
    def test_windows_open_at_local_midnight_and_show_it_in_utc(self, campaign: Campaign) -> None:
        row = window_rows(campaign)[0]
        assert (row.name, row.channel, row.pupils, row.workflow) == (
            "reenrolment",
            "online",
            "continuing",
            "reenrolment",
        )
        assert row.opens_local == dt.datetime(2023, 5, 10, tzinfo=PARIS_SUMMER)
        assert row.opens_utc == dt.datetime(2023, 5, 9, 22, tzinfo=dt.UTC)
        assert row.opens_text == "2023-05-10 00:00:00 Europe/Paris = 2023-05-09 22:00:00 UTC"

    def test_a_window_shows_its_last_included_instant_as_its_closing(
        self, campaign: Campaign
    ) -> None:
        row = window_rows(campaign)[0]
        assert row.closes_local == dt.datetime(2023, 5, 24, 23, 59, 59, 999999, PARIS_SUMMER)
        assert row.closes_text == (
            "2023-05-24 23:59:59.999999 Europe/Paris = 2023-05-24 21:59:59.999999 UTC"
        )

    def test_the_new_pupils_window_is_on_site_with_its_place(self, campaign: Campaign) -> None:
        row = window_rows(campaign)[1]
        assert (row.name, row.channel, row.place) == (
            "new_pupils",
            "on_site",
            "Conservatoire de Malakoff",
        )
        assert row.closes_utc == dt.datetime(2023, 6, 30, 21, 59, 59, 999999, dt.UTC)

    def test_a_window_closing_at_a_set_time_ends_just_before_it(self, campaign: Campaign) -> None:
        window = campaign.windows["reenrolment"].model_copy(update={"closes_at": dt.time(18, 0)})
        changed = campaign.model_copy(update={"windows": {"reenrolment": window}})
        row = window_rows(changed)[0]
        assert row.closes_text == (
            "2023-05-24 17:59:59.999999 Europe/Paris = 2023-05-24 15:59:59.999999 UTC"
        )


class TestReminders:
    def test_reminders_fall_on_the_close_date_minus_their_days_at_local_time(
        self, campaign: Campaign
    ) -> None:
        rows = reminder_rows(campaign)
        assert [(r.id, r.local) for r in rows] == [
            ("one_week_left", dt.datetime(2023, 5, 17, 10, tzinfo=PARIS_SUMMER)),
            ("documents_missing", dt.datetime(2023, 5, 21, 18, tzinfo=PARIS_SUMMER)),
            ("last_day", dt.datetime(2023, 5, 24, 9, tzinfo=PARIS_SUMMER)),
        ]
        assert rows[2].utc == dt.datetime(2023, 5, 24, 7, tzinfo=dt.UTC)
        assert rows[2].text == "2023-05-24 09:00:00 Europe/Paris = 2023-05-24 07:00:00 UTC"

    def test_a_reminder_says_whom_it_targets_and_how(self, campaign: Campaign) -> None:
        rows = {r.id: r for r in reminder_rows(campaign)}
        assert rows["one_week_left"].who == "dossiers not final"
        missing = rows["documents_missing"]
        assert missing.who == (
            "dossiers not final, missing: payment_form, income_evidence, id_photo"
        )
        assert (missing.window, missing.channels, missing.template) == (
            "reenrolment",
            ("email", "sms"),
            "reminder",
        )

    def test_the_timetable_is_in_time_order(self, campaign: Campaign) -> None:
        reversed_reminders = list(reversed(campaign.reminders))
        changed = campaign.model_copy(update={"reminders": reversed_reminders})
        assert [r.id for r in reminder_rows(changed)] == [
            "one_week_left",
            "documents_missing",
            "last_day",
        ]


MERMAID_LINE = re.compile(
    r'^(---|title: ".*"|stateDiagram-v2'
    r'|    state "[^"]+" as [a-z_]+'
    r"|    \[\*\] --> [a-z_]+"
    r"|    [a-z_]+ --> \[\*\]"
    r"|    [a-z_]+ --> [a-z_]+ : [a-z_]+)$"
)


def edges(diagram: str) -> set[tuple[str, str, str]]:
    found = set()
    for line in diagram.splitlines():
        match = re.fullmatch(r"\s*(\w+) --> (\w+) ?: (.+)", line)
        if match:
            for event in match[3].split(" | "):
                found.add((match[1], match[2], event.strip()))
    return found


class TestMermaid:
    @pytest.mark.parametrize("name", ["reenrolment", "new_pupil"])
    def test_every_line_is_mermaid_state_diagram_syntax(
        self, campaign: Campaign, name: str
    ) -> None:
        diagram = mermaid(campaign.workflows[name])
        assert diagram.endswith("\n")
        assert "stateDiagram-v2" in diagram.splitlines()
        for line in diagram.splitlines():
            assert MERMAID_LINE.match(line), line

    @pytest.mark.parametrize("name", ["reenrolment", "new_pupil"])
    def test_every_state_and_event_appears(self, campaign: Campaign, name: str) -> None:
        workflow = campaign.workflows[name]
        diagram = mermaid(workflow)
        for state, spec in workflow.states.items():
            assert f'state "{spec.label}" as {state}' in diagram
        for transition in workflow.transitions:
            assert f": {transition.event}\n" in diagram

    def test_the_diagram_starts_at_the_initial_state_and_ends_at_the_final_ones(
        self, campaign: Campaign
    ) -> None:
        diagram = mermaid(campaign.workflows["reenrolment"])
        assert "    [*] --> invited\n" in diagram
        for state in ("confirmed", "withdrawn", "lapsed"):
            assert f"    {state} --> [*]\n" in diagram
        assert "invited --> [*]" not in diagram

    def test_a_transition_from_any_state_leaves_every_non_final_state(
        self, campaign: Campaign
    ) -> None:
        diagram = mermaid(campaign.workflows["reenrolment"])
        withdrawals = {src for src, _, event in edges(diagram) if event == "withdraw"}
        assert withdrawals == {
            "invited",
            "identity_verified",
            "documents_supplied",
            "rules_accepted",
        }

    @pytest.mark.parametrize("name", ["reenrolment", "new_pupil"])
    def test_the_edges_are_those_transitions_draws(self, campaign: Campaign, name: str) -> None:
        workflow = campaign.workflows[name]
        model = type("Model", (), {})()
        GraphMachine(
            model=model,
            states=list(workflow.states),
            transitions=[
                {"trigger": t.event, "source": workflow.sources(t), "dest": t.to}
                for t in workflow.transitions
            ],
            initial=workflow.initial,
            auto_transitions=False,
            graph_engine="mermaid",
        )
        theirs = model.get_graph().draw(None)
        assert edges(mermaid(workflow)) == edges(theirs)

    def test_quotes_in_labels_are_written_as_mermaid_entities(self) -> None:
        workflow = Workflow.model_validate(
            {
                "label": 'Vœux "express"',
                "initial": "a",
                "success": "b",
                "final": ["b"],
                "states": {"a": StateSpec(label='dit "oui" #1'), "b": {"label": "fin"}},
                "transitions": [{"event": "go", "from": ["a"], "to": "b", "by": ["staff"]}],
            }
        )
        diagram = mermaid(workflow)
        assert 'state "dit #quot;oui#quot; #35;1" as a' in diagram
        assert 'title: "Vœux \\"express\\""' in diagram
        assert mermaid(workflow, title=False).startswith("stateDiagram-v2\n")
