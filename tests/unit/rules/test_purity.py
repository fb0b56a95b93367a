"""``rules/`` does no I/O and reads no clock: only data and ``now`` come in."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

RULES = Path(__file__).parents[3] / "dacapo" / "rules"
ALLOWED = {
    "__future__",
    "collections",
    "dataclasses",
    "datetime",
    "enum",
    "functools",
    "re",
    "types",
    "typing",
    "zoneinfo",
    "pydantic",
    "phonenumbers",
    "email_validator",
    "dacapo",
}
CLOCK_READS = {"now", "today", "utcnow", "time_ns", "monotonic"}
MODULES = sorted(RULES.glob("*.py"))


def imported_roots(tree: ast.Module) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_rules_modules_import_only_the_standard_library_and_the_validators(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert imported_roots(tree) <= ALLOWED


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_rules_modules_never_read_the_clock(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    ]
    assert not CLOCK_READS & set(calls)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_rules_modules_stay_short(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 300


def test_the_package_exports_the_registries_and_the_checklist() -> None:
    from dacapo.rules import FORMATS, GUARDS, checklist

    assert GUARDS
    assert FORMATS
    assert callable(checklist)
