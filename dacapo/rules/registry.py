"""The closed registry of guards that campaign files may name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

from dacapo.rules.findings import Finding, GuardContext

GuardFn = Callable[[GuardContext], list[Finding]]


@dataclass(frozen=True)
class Guard:
    name: str
    description: str
    fn: GuardFn

    def __call__(self, ctx: GuardContext) -> list[Finding]:
        return self.fn(ctx)


_GUARDS: dict[str, Guard] = {}
GUARDS = MappingProxyType(_GUARDS)


def guard(name: str, description: str) -> Callable[[GuardFn], GuardFn]:
    """Register ``fn`` under ``name``; names are unique and fixed at import."""

    def register(fn: GuardFn) -> GuardFn:
        if name in _GUARDS:
            raise RuntimeError(f"guard {name!r} registered twice")
        _GUARDS[name] = Guard(name, description, fn)
        return fn

    return register
