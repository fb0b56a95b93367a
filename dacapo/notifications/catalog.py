"""Which templates exist, and whether they can be used, checked without rendering.

A message ``reminder`` exists when ``reminder.subject.j2`` and
``reminder.txt.j2`` (email), or ``reminder.sms.j2``, are found in the
campaign's folder or the shipped one. Files whose name starts with ``_`` are
partials (layouts, signatures, macros). ``check_templates`` reports, each
with its file and line: syntax errors, unknown filters, variables the context
does not provide, attributes its objects do not have, attributes the sandbox
refuses (``__class__``...), missing included files, files over the size limit
and missing template sets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from jinja2 import TemplateNotFound, TemplateSyntaxError, meta, nodes

from dacapo.campaigns.schema import Campaign
from dacapo.notifications.attributes import attribute_problems
from dacapo.notifications.errors import TemplateProblem
from dacapo.notifications.model import CONTEXT_VARIABLES
from dacapo.notifications.render import SHIPPED, Renderer

_FILE = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)\.(?P<part>subject|txt|html|sms)\.j2$")
_PARTIAL = re.compile(r"^_[a-z0-9_]*(\.[a-z]+)?\.j2$")
_NEEDS = {"email": ("subject", "txt"), "sms": ("sms",)}


def _files(extra_dir: Path | None) -> list[str]:
    folders = [SHIPPED] if extra_dir is None else [Path(extra_dir), SHIPPED]
    found = {p.name for folder in folders if folder.is_dir() for p in folder.glob("*.j2")}
    return sorted(found)


def _parts(extra_dir: Path | None) -> dict[str, set[str]]:
    parts: dict[str, set[str]] = {}
    for filename in _files(extra_dir):
        match = _FILE.match(filename)
        if match:
            parts.setdefault(match["name"], set()).add(match["part"])
    return parts


def template_names(extra_dir: Path | None = None) -> set[str]:
    """Names with an email set (subject + txt) or an SMS template."""
    return {
        name
        for name, parts in _parts(extra_dir).items()
        if {"subject", "txt"} <= parts or "sms" in parts
    }


def required_templates(campaign: Campaign) -> dict[str, set[str]]:
    """Template name -> the channels the campaign sends it on."""
    needed: dict[str, set[str]] = {}
    for reminder in campaign.reminders:
        needed.setdefault(reminder.template, set()).update(c.value for c in reminder.channels)
    for spec in campaign.notifications.messages.values():
        needed.setdefault(spec.template, set()).update(c.value for c in spec.channels)
    return needed


def _missing_sets(
    names: Iterable[str] | Mapping[str, Iterable[str]], parts: dict[str, set[str]]
) -> list[TemplateProblem]:
    problems = []
    if isinstance(names, Mapping):
        for name, channels in sorted(names.items()):
            for channel in sorted(channels):
                for part in _NEEDS[channel]:
                    if part not in parts.get(name, set()):
                        message = f"missing: the {channel} message {name!r} needs this file"
                        problems.append(TemplateProblem(f"{name}.{part}.j2", None, message))
        return problems
    for name in sorted(set(names)):
        have = parts.get(name, set())
        if not ({"subject", "txt"} <= have or "sms" in have):
            message = f"no template set: need {name}.subject.j2 and {name}.txt.j2, or {name}.sms.j2"
            problems.append(TemplateProblem(name, None, message))
    return problems


def _referenced(tree: nodes.Template) -> Iterable[tuple[str, int]]:
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        template = getattr(node, "template", None)
        if isinstance(template, nodes.Const) and isinstance(template.value, str):
            yield template.value, node.lineno


def check_file(renderer: Renderer, filename: str) -> list[TemplateProblem]:
    """Everything that can be said about one template file without rendering it."""
    env = renderer.environment
    assert env.loader is not None
    try:
        source, path, _ = env.loader.get_source(env, filename)
        tree = env.parse_plain(source, filename, path)
    except TemplateProblem as problem:
        return [problem]
    except TemplateSyntaxError as error:
        return [TemplateProblem(filename, error.lineno, error.message or str(error))]
    problems = []
    try:
        env.get_template(filename)  # compiling finds unknown filters and tests
        undeclared = meta.find_undeclared_variables(tree)  # compiles too
    except TemplateSyntaxError as error:
        problems.append(TemplateProblem(filename, error.lineno, error.message or str(error)))
        undeclared = set()
    allowed = set(CONTEXT_VARIABLES) | set(env.globals)
    for name in sorted(undeclared - allowed):
        line = next(
            (n.lineno for n in tree.find_all(nodes.Name) if n.name == name and n.ctx == "load"),
            None,
        )
        known = ", ".join(CONTEXT_VARIABLES)
        message = f"unknown variable {name!r}: the context provides {known}"
        problems.append(TemplateProblem(filename, line, message))
    for other, line in _referenced(tree):
        try:
            env.loader.get_source(env, other)
        except TemplateNotFound:
            problems.append(TemplateProblem(filename, line, f"{other!r} not found"))
    unsafe = _unsafe_access(tree, filename)
    problems.extend(unsafe.values())
    problems.extend(
        p
        for p in attribute_problems(tree, filename)  # not twice: "has no attribute '__class__'"
        if not any(line == p.line and f"attribute {name!r}" in p.message for line, name in unsafe)
    )
    return sorted(problems, key=lambda p: (p.line or 0, p.message))


def _unsafe_access(tree: nodes.Template, filename: str) -> dict[tuple[int, str], TemplateProblem]:
    """Attributes the sandbox refuses at render time (names starting with ``_``), found
    as written: ``''.__class__``, ``x['__class__']``, ``x|attr('__class__')``; by line
    and name."""
    problems = {}
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        name: object = None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        elif isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
            first = node.args[0]
            name = first.value if isinstance(first, nodes.Const) else None
        if isinstance(name, str) and name.startswith("_"):
            message = f"unsafe access to attribute {name!r}: refused by the sandbox"
            problems[node.lineno, name] = TemplateProblem(filename, node.lineno, message)
    return problems


def check_templates(
    names: Iterable[str] | Mapping[str, Iterable[str]] | None = None,
    extra_dir: Path | None = None,
) -> list[TemplateProblem]:
    """Problems of the named templates (all when None) and of every partial.

    ``names`` may map each name to the channels it is sent on (as
    ``required_templates(campaign)`` does): each channel's files must exist.
    """
    try:
        renderer = Renderer(extra_dir)
    except TemplateProblem as problem:
        return [problem]
    parts = _parts(extra_dir)
    wanted = set(parts) if names is None else set(names)
    if names is None:  # every email set found must be whole
        emails = {name: ["email"] for name, have in parts.items() if have & {"subject", "txt"}}
        problems = _missing_sets(emails, parts)
    else:
        problems = _missing_sets(names, parts)
    for filename in _files(extra_dir):
        match = _FILE.match(filename)
        if (match and match["name"] in wanted) or _PARTIAL.match(filename):
            problems.extend(check_file(renderer, filename))
    return problems
