"""Static check of attribute paths: ``guardian.nmae`` is found before any render.

The context's types are known (``model.MessageContext``), so a path that
starts at a context variable, or at the variable of a ``{% for %}`` over one
(``{% for pupil in pupils %}{{ pupil.nme }}``), can be followed field by
field. Paths through anything else (locals set by the template, strings,
dates) are left to ``StrictUndefined`` at render time.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from typing import Any

from jinja2 import nodes

from dacapo.notifications.errors import TemplateProblem
from dacapo.notifications.model import MessageContext

_TOP: dict[str, Any] = typing.get_type_hints(MessageContext)


def _optional_inner(hint: Any) -> Any:
    """``X | None`` -> ``X``."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return hint


def _element(hint: Any) -> Any:
    """The item type of ``list[X]``, else None."""
    hint = _optional_inner(hint)
    if typing.get_origin(hint) in (list, tuple) and typing.get_args(hint):
        return typing.get_args(hint)[0]
    return None


def _members(cls: type) -> dict[str, Any]:
    members: dict[str, Any] = dict(typing.get_type_hints(cls))
    for name, value in inspect.getmembers(cls, lambda v: isinstance(v, property)):
        if not name.startswith("_"):
            members[name] = typing.get_type_hints(value.fget).get("return")
    return members


def _path(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_path(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_path(node.node)}[{node.arg.value!r}]"
    return "value"


class _Checker:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[TemplateProblem] = []

    def visit(self, node: nodes.Node, scope: dict[str, Any]) -> None:
        if isinstance(node, nodes.For):
            self.visit(node.iter, scope)
            inner = dict(scope)
            for target in node.target.find_all(nodes.Name):
                inner[target.name] = None
            if isinstance(node.target, nodes.Name):
                inner[node.target.name] = _element(self.type_of(node.iter, scope, report=False))
            for child in [*node.body, *([node.test] if node.test else [])]:
                self.visit(child, inner)
            for child in node.else_:
                self.visit(child, scope)
        elif isinstance(node, nodes.Macro | nodes.CallBlock):
            inner = {**scope, **{arg.name: None for arg in node.args}, "caller": None}
            for child in node.iter_child_nodes():
                self.visit(child, inner)
        elif isinstance(node, nodes.Getattr | nodes.Getitem):
            self.type_of(node, scope)
        else:
            for child in node.iter_child_nodes():
                self.visit(child, scope)

    def type_of(self, node: nodes.Node, scope: dict[str, Any], *, report: bool = True) -> Any:
        """The node's type when it is known; reports unknown attributes on the way."""
        if isinstance(node, nodes.Name):
            return scope.get(node.name)
        if isinstance(node, nodes.Getattr):
            return self._member(node, node.node, node.attr, scope, report)
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            if isinstance(node.arg.value, str):
                return self._member(node, node.node, node.arg.value, scope, report)
            return _element(self.type_of(node.node, scope, report=report))
        if report:
            for child in node.iter_child_nodes():
                self.visit(child, scope)
        return None

    def _member(
        self, node: nodes.Node, owner: nodes.Node, name: str, scope: dict[str, Any], report: bool
    ) -> Any:
        cls = _optional_inner(self.type_of(owner, scope, report=report))
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            return None
        members = _members(cls)
        if name in members:
            return members[name]
        if report:
            known = ", ".join(sorted(members))
            message = f"{_path(owner)!r} has no attribute {name!r} (it has: {known})"
            self.problems.append(TemplateProblem(self.filename, node.lineno, message))
        return None


def attribute_problems(tree: nodes.Template, filename: str) -> list[TemplateProblem]:
    """Unknown attributes on paths from the context's variables."""
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    assigned |= {n.name for n in tree.find_all(nodes.Macro)}
    scope = {name: hint for name, hint in _TOP.items() if name not in assigned}
    checker = _Checker(filename)
    checker.visit(tree, scope)
    return checker.problems
