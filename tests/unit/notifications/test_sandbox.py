"""Templates are data written by administrators: the sandbox keeps them harmless."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dacapo.engine.errors import BadInput
from dacapo.notifications.errors import TemplateProblem
from dacapo.notifications.render import Renderer


def render_source(
    tmp_path: Path, source: str, *, time_limit: float = 2.0, max_output_bytes: int = 256 * 1024
) -> str:
    (tmp_path / "probe.sms.j2").write_text(source, "utf-8")
    renderer = Renderer(tmp_path, time_limit=time_limit, max_output_bytes=max_output_bytes)
    return renderer.render_file("probe.sms.j2", {"x": 1, "s": "abc"})


@pytest.mark.parametrize(
    ("source", "attribute"),
    [
        ("{{ ''.__class__ }}", "__class__"),
        ("{{ x|attr('__class__') }}", "__class__"),
        ("{{ cycler.__init__.__globals__ }}", "__init__"),
        ("{{ s['__class__'] }}", "__class__"),
        ("{% if s.__class__ %}yes{% endif %}", "__class__"),
    ],
)
def test_sandbox_escapes_are_refused(tmp_path: Path, source: str, attribute: str) -> None:
    with pytest.raises(TemplateProblem) as caught:
        render_source(tmp_path, source)
    assert f"unsafe access to attribute {attribute!r}" in caught.value.message
    assert "refused by the sandbox" in caught.value.message
    assert caught.value.template == "probe.sms.j2"
    assert caught.value.line == 1


def test_a_template_problem_is_bad_input_for_the_cli(tmp_path: Path) -> None:
    with pytest.raises(BadInput):
        render_source(tmp_path, "{{ ''.__class__ }}")


def test_lists_from_the_context_cannot_be_modified(tmp_path: Path) -> None:
    (tmp_path / "probe.sms.j2").write_text("{{ items.append(4) }}", "utf-8")
    with pytest.raises(TemplateProblem, match="refused by the sandbox"):
        Renderer(tmp_path).render_file("probe.sms.j2", {"items": [1, 2, 3]})


def test_huge_nested_loops_are_refused_at_once(tmp_path: Path) -> None:
    source = "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}"
    started = time.monotonic()
    with pytest.raises(TemplateProblem, match=r"range\(\) of 100000 items exceeds the limit"):
        render_source(tmp_path, source)
    assert time.monotonic() - started < 3


def test_a_long_silent_loop_is_stopped_by_the_time_limit(tmp_path: Path) -> None:
    source = "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    with pytest.raises(TemplateProblem, match=r"took longer than 0\.3 s"):
        render_source(tmp_path, source, time_limit=0.3)
    assert time.monotonic() - started < 3


def test_loops_over_long_literals_are_stopped_too(tmp_path: Path) -> None:
    text = "x" * 20000
    source = f'{{% for a in "{text}" %}}{{% for b in "{text}" %}}{{% endfor %}}{{% endfor %}}'
    with pytest.raises(TemplateProblem, match="took longer than"):
        render_source(tmp_path, source, time_limit=0.3)


def test_endless_recursion_is_reported(tmp_path: Path) -> None:
    source = "{% macro again() %}{{ again() }}{% endmacro %}{{ again() }}"
    with pytest.raises(TemplateProblem, match=r"nested too deeply|took longer"):
        render_source(tmp_path, source)


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'x' * 10**9 }}",
        "{{ [1] * 10**9 }}",
        "{{ 10 ** (10 ** 10) }}",
        "{{ 'a'|center(10**9) }}",
        "{{ 'a'.ljust(10**9) }}",
        "{{ '%999999999d' % 1 }}",
        "{{ '%999999999d'|format(1) }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{{ 'ab'|replace('', 'x' * 200000) }}",
        "{{ range(10000)|join('x' * 1000) }}",
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    ],
)
def test_values_that_would_exhaust_memory_are_refused_before_they_are_built(
    tmp_path: Path, source: str
) -> None:
    with pytest.raises(TemplateProblem, match=r"exceeds the limit|not allowed"):
        render_source(tmp_path, source)


def test_output_is_limited(tmp_path: Path) -> None:
    source = "{% for a in range(10000) %}{{ 'y' * 100 }}{% endfor %}"
    with pytest.raises(TemplateProblem, match="over the limit of 10000 bytes"):
        render_source(tmp_path, source, max_output_bytes=10_000)


def test_output_captured_by_a_macro_counts_too(tmp_path: Path) -> None:
    source = (
        "{% macro big() %}{% for a in range(2000) %}{{ 'y' * 100 }}{% endfor %}{% endmacro %}"
        "{% for i in range(6) %}{% set kept = big() %}{% endfor %}"
    )
    with pytest.raises(TemplateProblem, match="produced more than"):
        render_source(tmp_path, source)


def test_template_files_over_the_size_limit_are_refused(tmp_path: Path) -> None:
    (tmp_path / "big.sms.j2").write_text("x" * 70_000, "utf-8")
    with pytest.raises(TemplateProblem, match="70000 bytes, over the limit of 65536"):
        Renderer(tmp_path).render_file("big.sms.j2", {})


def test_ordinary_template_code_still_works(tmp_path: Path) -> None:
    source = (
        "{{ range(3)|join(', ') }}|{{ 'a\\nb'|indent(2) }}|{{ s|replace('b', 'B') }}|"
        "{{ '%05d' % 42 }}|{{ '{:>4}'.format(7) }}|{{ [1, 2, 3, 4]|batch(2)|list }}|"
        "{{ s.upper() }}|{{ 2 ** 10 }}|{{ ['Zoé', 'Léo']|list_fr }}"
    )
    assert render_source(tmp_path, source) == (
        "0, 1, 2|a\n  b|aBc|00042|   7|[[1, 2], [3, 4]]|ABC|1024|Zoé et Léo"
    )


def test_string_methods_outside_the_allowed_list_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateProblem, match=r"str\.translate\(\) is not available"):
        render_source(tmp_path, "{{ s.translate({97: 'x' * 100000}) }}")


@pytest.mark.parametrize(
    "source",
    [
        "{{ guardian.__class__ }}",
        "{{ guardian.__dataclass_fields__ }}",
        "{{ pupils[0].__class__.__init__ }}",
        "{{ campaign.reenrolment_window.opens.__class__ }}",
    ],
)
def test_the_context_objects_give_away_nothing_but_their_data(
    tmp_path: Path, source: str, context: dict[str, object]
) -> None:
    (tmp_path / "probe.sms.j2").write_text(source, "utf-8")
    with pytest.raises(TemplateProblem, match="refused by the sandbox"):
        Renderer(tmp_path).render_file("probe.sms.j2", context)


def test_the_context_data_and_its_properties_read_as_usual(
    tmp_path: Path, context: dict[str, object]
) -> None:
    source = "{{ guardian.name }}|{{ pupils[0].details }}|{{ pupils[1].complete }}"
    (tmp_path / "probe.sms.j2").write_text(source, "utf-8")
    rendered = Renderer(tmp_path).render_file("probe.sms.j2", context)
    assert rendered == "Claire Lefèvre-Durand|Danse, 1er cycle|False"


def test_literal_text_captured_by_a_macro_counts_too(tmp_path: Path) -> None:
    line = "y" * 100
    source = (
        f"{{% macro big() %}}{{% for a in range(2000) %}}{line}{{% endfor %}}{{% endmacro %}}"
        "{% for i in range(6) %}{% set kept = big() %}{% endfor %}"
    )
    with pytest.raises(TemplateProblem, match="produced more than"):
        render_source(tmp_path, source)


def test_literal_output_over_the_limit_is_refused(tmp_path: Path) -> None:
    source = "{% for a in range(200) %}" + "é" * 30 + "{% endfor %}"
    assert len(render_source(tmp_path, source, max_output_bytes=12_000)) == 6000
    with pytest.raises(TemplateProblem, match="over the limit of 11999 bytes"):
        render_source(tmp_path, source, max_output_bytes=11_999)  # 6,000 characters, 12,000 bytes


def test_context_objects_read_by_item_as_by_attribute(
    tmp_path: Path, context: dict[str, object]
) -> None:
    source = (
        "{{ guardian['first_name'] }}|{{ pupils|selectattr('deferred')|map(attribute='name')"
        "|join(', ') }}|{{ guardian[['name']] is defined }}"
    )
    (tmp_path / "probe.sms.j2").write_text(source, "utf-8")
    rendered = Renderer(tmp_path).render_file("probe.sms.j2", context)
    assert rendered == "Claire|Zoé Lefèvre-Durand|False"
