"""The budgets a template renders under: time, produced output, value sizes.

The current budget lives in a context variable, set for the duration of one
render by ``budget()``: each thread (and each asyncio task) has its own.
Checks are cheap (a clock read), so they run on every operation the sandbox
sees; size checks run *before* an operation when its result could be huge.
"""

from __future__ import annotations

import re
import string
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

MAX_VALUE = 256 * 1024  # characters of a string, items of a list (nested items count)
MAX_WIDTH = 10_000  # width-like arguments: center(), indent(), batch(), "{:>N}"...
MAX_INT_BITS = 100_000  # ~30,000 digits: enough for any sum, too small for 10**10**9
MAX_NESTING = 16


class LimitExceeded(Exception):
    """A template went over one of its budgets."""


@dataclass
class Budget:
    seconds: float
    max_produced: int
    deadline: float = field(init=False)
    produced: int = 0

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.seconds


_BUDGET: ContextVar[Budget | None] = ContextVar("dacapo_template_budget", default=None)


@contextmanager
def budget(seconds: float, max_produced: int) -> Iterator[Budget]:
    token = _BUDGET.set(Budget(seconds, max_produced))
    try:
        yield _BUDGET.get()  # type: ignore[misc]
    finally:
        _BUDGET.reset(token)


def _overtime(current: Budget) -> LimitExceeded:
    return LimitExceeded(
        f"rendering took longer than {current.seconds:g} s and was stopped"
        " (an endless or very long loop?)"
    )


def _overproduced(current: Budget) -> LimitExceeded:
    return LimitExceeded(f"the template produced more than {current.max_produced} characters")


def tick() -> None:
    """Stop the render once its time is up."""
    current = _BUDGET.get()
    if current is not None and time.monotonic() > current.deadline:
        raise _overtime(current)


def produced(size: int) -> None:
    """Count output, including what macros and ``{% set %}`` blocks capture."""
    current = _BUDGET.get()
    if current is not None:
        current.produced += size
        if current.produced > current.max_produced:
            raise _overproduced(current)


def output(size: int) -> None:
    """A piece of output of ``size`` characters: ``tick``, the value limit and
    ``produced`` in one call (the hot path: every piece of every template)."""
    current = _BUDGET.get()
    if current is not None and time.monotonic() > current.deadline:
        raise _overtime(current)
    if size > MAX_VALUE:
        raise too_big(size)
    if current is not None:
        current.produced += size
        if current.produced > current.max_produced:
            raise _overproduced(current)


def weight(value: object, depth: int = MAX_NESTING) -> int:
    """Characters of a string, items of a container, nested items included."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, list | tuple | set | frozenset | dict):
        if depth == 0:
            raise LimitExceeded(f"values nested more than {MAX_NESTING} levels deep")
        items = value.items() if isinstance(value, dict) else value
        return len(value) + sum(weight(item, depth - 1) for item in items)
    return 1


def too_big(size: int) -> LimitExceeded:
    return LimitExceeded(f"a value of {size} characters or items exceeds the limit of {MAX_VALUE}")


def check_size(value: object) -> object:
    size = weight(value)
    if size > MAX_VALUE:
        raise too_big(size)
    return value


def check_width(*arguments: object) -> None:
    for argument in arguments:
        if isinstance(argument, int) and abs(argument) > MAX_WIDTH:
            raise LimitExceeded(f"a width or count of {argument} exceeds the limit of {MAX_WIDTH}")


def check_growth(base: str, occurrences: int, insert: int) -> None:
    """Refuse ``replace``/``indent``/``join`` calls whose result would be huge."""
    size = len(base) + max(occurrences, 0) * insert
    if size > MAX_VALUE:
        raise too_big(size)


def check_replace(text: str, old: object, new: object, count: object = -1) -> None:
    if not isinstance(old, str) or not isinstance(new, str):
        return
    occurrences = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        occurrences = min(occurrences, count)
    check_growth(text, occurrences, len(new))


def check_join(separator: str, items: list[object]) -> None:
    size = weight(items) + max(len(items) - 1, 0) * len(separator)
    if size > MAX_VALUE:
        raise too_big(size)


_PRINTF_WIDE = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d{5,}|\d*\.(?:\*|\d{5,}))")
_DIGITS = re.compile(r"\d{5,}")


def check_printf(template: str) -> None:
    """``"%1000000000d" % 1`` would build a gigabyte: refuse wide fields."""
    if _PRINTF_WIDE.search(template):
        raise LimitExceeded(f"format widths over {MAX_WIDTH} or '*' widths are not allowed")


def check_format(template: str) -> None:
    """The same for ``str.format``: no wide fields, no nested (computed) widths."""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return  # str.format will raise the real error
    for _literal, _name, spec, _conversion in fields:
        if spec and ("{" in spec or _DIGITS.search(spec)):
            raise LimitExceeded(
                f"format widths over {MAX_WIDTH} or computed widths are not allowed"
            )


def _check_bits(bits: int, what: str) -> None:
    if bits > MAX_INT_BITS:
        raise LimitExceeded(f"{what} of about {bits} bits exceeds the limit of {MAX_INT_BITS} bits")


def check_binop(operator: str, left: object, right: object) -> None:
    """Refuse, before computing it, an operation whose result would be huge."""
    if isinstance(left, int) and isinstance(right, int):
        if operator == "**" and right > 0:
            _check_bits(max(left.bit_length(), 1) * right, "a power")
        elif operator == "*":
            _check_bits(left.bit_length() + right.bit_length(), "a product")
    elif operator == "*":
        sequence, times = (left, right) if isinstance(right, int) else (right, left)
        if isinstance(times, int) and not isinstance(sequence, int | float):
            size = weight(sequence) * max(times, 0)
            if size > MAX_VALUE:
                raise too_big(size)
    elif operator == "+" and not isinstance(left, int | float):
        size = weight(left) + weight(right)
        if size > MAX_VALUE:
            raise too_big(size)
    elif operator == "%" and isinstance(left, str):
        check_printf(left)
