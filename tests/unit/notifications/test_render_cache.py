"""A renderer compiles each template once; ``refresh()`` notices edited, added and
removed files (the dispatcher refreshes before each batch)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from dacapo.notifications.render import Renderer


def write(path: Path, text: str, *, tick: int = 0) -> None:
    path.write_text(text, "utf-8")
    stamp = 1_700_000_000 + tick  # distinct modification times, whatever the clock's grain
    os.utime(path, (stamp, stamp))


def test_an_edited_template_is_used_after_a_refresh(tmp_path: Path) -> None:
    write(tmp_path / "hello.sms.j2", "Bonjour {{ name }}")
    renderer = Renderer(tmp_path)
    assert renderer.render_file("hello.sms.j2", {"name": "Anne"}) == "Bonjour Anne"

    write(tmp_path / "hello.sms.j2", "Salut {{ name }}", tick=1)
    unchanged = renderer.render_file("hello.sms.j2", {"name": "Anne"})
    changed = renderer.refresh()

    assert unchanged == "Bonjour Anne"  # compiled once, not read again at each render
    assert changed is True
    assert renderer.render_file("hello.sms.j2", {"name": "Anne"}) == "Salut Anne"


def test_a_new_override_and_a_new_html_part_are_found_after_a_refresh(
    tmp_path: Path, context: dict[str, object]
) -> None:
    renderer = Renderer(tmp_path)
    shipped = renderer.render("reminder", "sms", context).text
    write(tmp_path / "reminder.sms.j2", "Rappel pour {{ guardian.first_name }}")
    write(tmp_path / "hello.subject.j2", "Bonjour")
    write(tmp_path / "hello.txt.j2", "Texte")
    renderer.refresh()
    assert renderer.render("hello", "email", context).html is None

    write(tmp_path / "hello.html.j2", "<p>Texte</p>", tick=1)
    renderer.refresh()

    assert shipped != "Rappel pour Claire"
    assert renderer.render("reminder", "sms", context).text == "Rappel pour Claire"
    assert renderer.render("hello", "email", context).html == "<p>Texte</p>\n"


def test_a_removed_override_falls_back_to_the_shipped_template(
    tmp_path: Path, context: dict[str, object]
) -> None:
    write(tmp_path / "reminder.sms.j2", "Rappel pour {{ guardian.first_name }}")
    renderer = Renderer(tmp_path)
    assert renderer.render("reminder", "sms", context).text == "Rappel pour Claire"

    (tmp_path / "reminder.sms.j2").unlink()

    assert renderer.refresh() is True
    assert renderer.render("reminder", "sms", context).text != "Rappel pour Claire"


def test_nothing_is_compiled_again_when_nothing_changed(tmp_path: Path) -> None:
    write(tmp_path / "hello.sms.j2", "Bonjour")
    renderer = Renderer(tmp_path)
    renderer.render_file("hello.sms.j2", {})
    compiled = renderer.environment.get_template("hello.sms.j2")

    assert renderer.refresh() is False
    assert renderer.environment.get_template("hello.sms.j2") is compiled


def test_an_output_kept_for_equal_values_follows_every_value_it_reads(
    tmp_path: Path, context: dict[str, object]
) -> None:
    write(tmp_path / "_who.txt.j2", "{{ guardian.first_name }}")
    write(tmp_path / "hello.sms.j2", '{{ campaign.site }} : {% include "_who.txt.j2" %}')
    renderer = Renderer(tmp_path)
    claire = renderer.render_file("hello.sms.j2", context)
    again = renderer.render_file("hello.sms.j2", dict(context))
    guardian = dataclasses.replace(context["guardian"], first_name="Moussa")  # type: ignore[type-var]

    moussa = renderer.render_file("hello.sms.j2", {**context, "guardian": guardian})

    assert claire == again == "Conservatoire de Malakoff : Claire"
    assert moussa == "Conservatoire de Malakoff : Moussa"  # read through the include


def test_outputs_that_read_lists_or_named_files_are_rendered_each_time(tmp_path: Path) -> None:
    write(tmp_path / "items.sms.j2", "{{ items|join(',') }}")
    write(tmp_path / "_a.txt.j2", "{{ x }}")
    write(tmp_path / "named.sms.j2", "{% include part %}")
    renderer = Renderer(tmp_path)
    items = [1, 2]
    first = renderer.render_file("items.sms.j2", {"items": items})
    items.append(3)
    one = renderer.render_file("named.sms.j2", {"part": "_a.txt.j2", "x": 1})
    two = renderer.render_file("named.sms.j2", {"part": "_a.txt.j2", "x": 2})

    assert (first, renderer.render_file("items.sms.j2", {"items": items})) == ("1,2", "1,2,3")
    assert (one, two) == ("1", "2")  # what a file named at render time reads is not known


def test_a_kept_output_is_dropped_when_its_file_changes(tmp_path: Path) -> None:
    write(tmp_path / "hello.sms.j2", "Bonjour {{ name }}")
    renderer = Renderer(tmp_path)
    assert renderer.render_file("hello.sms.j2", {"name": "Anne"}) == "Bonjour Anne"

    write(tmp_path / "hello.sms.j2", "Salut {{ name }}", tick=1)
    renderer.refresh()

    assert renderer.render_file("hello.sms.j2", {"name": "Anne"}) == "Salut Anne"
