"""Template sets are found, and their problems reported with file and line, before sending."""

from __future__ import annotations

from pathlib import Path

from dacapo.notifications.catalog import check_templates, template_names
from dacapo.notifications.context import CONTEXT_VARIABLES
from dacapo.notifications.errors import TemplateProblem


def write(folder: Path, **files: str) -> Path:
    for name, source in files.items():
        (folder / name.replace("__", ".")).write_text(source, "utf-8")
    return folder


def test_a_name_needs_subject_and_text_or_an_sms(tmp_path: Path) -> None:
    write(
        tmp_path,
        welcome__subject__j2="Bienvenue",
        welcome__txt__j2="Bonjour",
        ping__sms__j2="Ping",
        half__subject__j2="Sans texte",
    )
    names = template_names(tmp_path)
    assert {"welcome", "ping", "reminder"} <= names
    assert "half" not in names


def test_partials_are_not_messages() -> None:
    assert not any(name.startswith("_") for name in template_names())


def test_a_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    write(tmp_path, oops__sms__j2="Bonjour\n{% for x in %}\n{% endfor %}\n")
    problems = check_templates(["oops"], tmp_path)
    assert [(p.template, p.line) for p in problems] == [("oops.sms.j2", 2)]


def test_an_undeclared_variable_is_detected_with_its_line(tmp_path: Path) -> None:
    write(tmp_path, hello__sms__j2="Bonjour {{ guardian.name }},\nvotre {{ dossier_number }}\n")
    assert check_templates(["hello"], tmp_path) == [
        TemplateProblem(
            "hello.sms.j2",
            2,
            "unknown variable 'dossier_number': the context provides "
            + ", ".join(CONTEXT_VARIABLES),
        )
    ]


def test_loop_variables_and_globals_are_not_undeclared(tmp_path: Path) -> None:
    source = (
        "{% set n = pupils|length %}{% for p in pupils %}{{ loop.index }} {{ p.name }}{% endfor %}"
        "{{ range(n)|list }}{{ cycler(1, 2).next() }}"
    )
    write(tmp_path, fine__sms__j2=source)
    assert check_templates(["fine"], tmp_path) == []


def test_attributes_the_context_does_not_have_are_detected(tmp_path: Path) -> None:
    source = (
        "{{ guardian.nme }}\n"
        "{% for pupil in pupils %}{{ pupil.frist_name }}{% endfor %}\n"
        "{{ campaign.new_pupil_window.plcae }} {{ deadline.text }} {{ pupils[0].details }}\n"
    )
    write(tmp_path, typo__sms__j2=source)
    problems = check_templates(["typo"], tmp_path)
    assert [(p.line, p.message.split(" (")[0]) for p in problems] == [
        (1, "'guardian' has no attribute 'nme'"),
        (2, "'pupil' has no attribute 'frist_name'"),
        (3, "'campaign.new_pupil_window' has no attribute 'plcae'"),
    ]


def test_unknown_filters_and_missing_includes_are_reported(tmp_path: Path) -> None:
    write(tmp_path, inc__sms__j2='{% include "_absent.txt.j2" %}\n{{ guardian.name|shout }}')
    messages = {(p.line, p.message) for p in check_templates(["inc"], tmp_path)}
    assert messages == {(1, "'_absent.txt.j2' not found"), (2, "No filter named 'shout'.")}


def test_a_campaign_missing_a_channel_template_is_reported(tmp_path: Path) -> None:
    write(tmp_path, notice__subject__j2="Avis", notice__txt__j2="Texte")
    problems = check_templates({"notice": ["email", "sms"], "ghost": ["email"]}, tmp_path)
    assert [str(p) for p in problems] == [
        "ghost.subject.j2: missing: the email message 'ghost' needs this file",
        "ghost.txt.j2: missing: the email message 'ghost' needs this file",
        "notice.sms.j2: missing: the sms message 'notice' needs this file",
    ]


def test_broken_partials_are_checked_too(tmp_path: Path) -> None:
    write(tmp_path, _signature__txt__j2="{{ contact.mail }}")
    problems = check_templates(["reminder"], tmp_path)
    assert [(p.template, p.line) for p in problems] == [("_signature.txt.j2", 1)]
    assert "'contact' has no attribute 'mail'" in problems[0].message


def test_an_oversized_template_is_reported(tmp_path: Path) -> None:
    write(tmp_path, big__sms__j2="x" * 70_000)
    assert [p.message for p in check_templates(["big"], tmp_path)] == [
        "the file is 70000 bytes, over the limit of 65536"
    ]
