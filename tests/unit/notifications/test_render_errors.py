"""Rendering problems name the template file, the line and the cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from dacapo.notifications.errors import TemplateProblem
from dacapo.notifications.render import RenderedSms, Renderer, campaign_folder


def test_an_undefined_variable_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "hello.sms.j2").write_text("Bonjour\n{{ gardian.name }}\n", "utf-8")
    with pytest.raises(TemplateProblem) as caught:
        Renderer(tmp_path).render("hello", "sms", {})
    problem = caught.value
    assert (problem.template, problem.line) == ("hello.sms.j2", 2)
    assert "'gardian' is undefined" in problem.message
    assert str(problem).startswith("hello.sms.j2:2: undefined variable or attribute")


def test_an_undefined_attribute_is_named(tmp_path: Path, context: dict[str, object]) -> None:
    (tmp_path / "hello.sms.j2").write_text("{{ guardian.nickname }}", "utf-8")
    with pytest.raises(TemplateProblem, match="has no attribute 'nickname'"):
        Renderer(tmp_path).render("hello", "sms", context)


def test_a_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "broken.sms.j2").write_text("ligne 1\nligne 2\n{% if %}\n", "utf-8")
    with pytest.raises(TemplateProblem) as caught:
        Renderer(tmp_path).render("broken", "sms", {})
    assert (caught.value.template, caught.value.line) == ("broken.sms.j2", 3)


def test_an_error_in_an_included_file_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "_part.txt.j2").write_text("un\ndeux {{ nothing_here }}\n", "utf-8")
    (tmp_path / "outer.sms.j2").write_text('{% include "_part.txt.j2" %}', "utf-8")
    with pytest.raises(TemplateProblem) as caught:
        Renderer(tmp_path).render("outer", "sms", {})
    assert (caught.value.template, caught.value.line) == ("_part.txt.j2", 2)


def test_a_missing_template_is_reported(context: dict[str, object]) -> None:
    with pytest.raises(TemplateProblem, match=r"'nothing\.sms\.j2' not found"):
        Renderer().render("nothing", "sms", context)


def test_template_names_cannot_point_outside_the_folders() -> None:
    with pytest.raises(TemplateProblem, match="not a template name"):
        Renderer().render("../../etc/passwd", "sms", {})


def test_a_missing_campaign_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(TemplateProblem, match="templates folder not found"):
        Renderer(tmp_path / "nope")


def test_a_stored_relative_campaign_folder_is_never_looked_for_from_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "templates").mkdir()
    monkeypatch.chdir(tmp_path)  # where `templates` would be found, but it may not be the one
    with pytest.raises(TemplateProblem) as caught:
        campaign_folder("templates")
    assert str(caught.value) == (
        "templates: templates folder stored as a relative path: load the campaign file again"
    )
    assert campaign_folder(str(tmp_path / "templates")) == tmp_path / "templates"
    assert campaign_folder(None) is None


def test_the_campaign_folder_overrides_a_shipped_file(
    tmp_path: Path, context: dict[str, object]
) -> None:
    (tmp_path / "reminder.sms.j2").write_text("Rappel pour {{ guardian.first_name }}", "utf-8")
    rendered = Renderer(tmp_path).render("reminder", "sms", context)
    assert isinstance(rendered, RenderedSms)
    assert rendered.text == "Rappel pour Claire"
    assert Renderer(tmp_path).render("reminder", "email", context).subject.startswith("Rappel")


def test_a_non_gsm_sms_is_reported_as_ucs2_not_rewritten(tmp_path: Path) -> None:
    (tmp_path / "hello.sms.j2").write_text("Ça commence « bientôt »\n  !", "utf-8")
    rendered = Renderer(tmp_path).render("hello", "sms", {})
    assert isinstance(rendered, RenderedSms)
    assert rendered.text == "Ça commence « bientôt » !"
    assert (rendered.encoding, rendered.segments) == ("ucs2", 1)
    assert rendered.non_gsm == ("«", "ô", "»")


def test_an_unknown_channel_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown channel"):
        Renderer().render("reminder", "fax", {})  # type: ignore[call-overload]


def test_subjects_are_a_single_line(tmp_path: Path, context: dict[str, object]) -> None:
    (tmp_path / "hello.subject.j2").write_text("Bonjour\n{{ guardian.name }}\r\nBcc: x", "utf-8")
    (tmp_path / "hello.txt.j2").write_text("Texte", "utf-8")
    rendered = Renderer(tmp_path).render("hello", "email", context)
    assert rendered.subject == "Bonjour Claire Lefèvre-Durand Bcc: x"
