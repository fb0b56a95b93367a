"""Mapping a validation path back to the YAML text: line, column, and clean path."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from ruamel.yaml.comments import CommentedMap, CommentedSeq

Loc = tuple[str | int, ...]


def locate(root: Any, loc: Loc, *, at_key: bool = False) -> tuple[int, int, Loc]:
    """Line and column (1-based) of the node at ``loc``, and the part of ``loc`` found.

    Parts that are not in the document (pydantic's union tags such as
    ``list[str]``) are skipped. A missing key is reported at its parent mapping.
    With ``at_key``, the last key's own position is given instead of its value's.
    """
    node = root
    line, column = 1, 1
    if isinstance(root, CommentedMap | CommentedSeq):
        line, column = root.lc.line + 1, root.lc.col + 1
    found: list[str | int] = []
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, CommentedMap) and part in node:
            key_line, key_col = node.lc.key(part)
            value_line, value_col = node.lc.value(part)
            if at_key and last:
                line, column = key_line + 1, key_col + 1
            else:
                line, column = value_line + 1, value_col + 1
            node = node[part]
            found.append(part)
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            item_line, item_col = node.lc.item(part)
            line, column = item_line + 1, item_col + 1
            node = node[part]
            found.append(part)
        elif isinstance(part, str) and _is_union_tag(part):
            continue
        else:
            # A missing key: report the path as written, at the parent's position.
            found.append(part)
            break
    return line, column, tuple(found)


def _is_union_tag(part: str) -> bool:
    return any(c in part for c in "[]()") or part in {"str", "int", "bool", "date", "float"}


def _unwrap(annotation: Any) -> list[Any]:
    """The classes an annotation may hold (Optional and unions flattened)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return [annotation]


def _step(annotation: Any, part: str | int) -> list[Any]:
    """The annotations reached from ``annotation`` by one path part."""
    out: list[Any] = []
    for candidate in _unwrap(annotation):
        origin = typing.get_origin(candidate)
        args = typing.get_args(candidate)
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            for name, info in candidate.model_fields.items():
                if part in (name, info.alias):
                    out.append(info.annotation)
        elif origin is dict and args:
            out.append(args[1])
        elif origin is list and args and isinstance(part, int):
            out.append(args[0])
    return out


def expected_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys a mapping at ``loc`` may hold, by alias, for "did you mean" hints."""
    annotations: list[Any] = [model]
    for part in loc:
        if isinstance(part, str) and _is_union_tag(part):
            continue
        annotations = [a for ann in annotations for a in _step(ann, part)]
    keys: list[str] = []
    for ann in annotations:
        for candidate in _unwrap(ann):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                keys.extend(info.alias or name for name, info in candidate.model_fields.items())
    return sorted(set(keys))
