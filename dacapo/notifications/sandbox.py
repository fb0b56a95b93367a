"""A jinja2 sandbox with budgets, for templates that administrators edit.

On top of jinja2's ``ImmutableSandboxedEnvironment`` (no ``_`` attributes, no
mutation of lists and dicts, no unsafe callables):

- an unsafe attribute raises ``SecurityError`` at once, not on later use;
- the budgets of ``limits`` are checked on every call, attribute or item
  access, intercepted operator, piece of output and loop iteration: each
  template is instrumented when it is compiled (every ``for`` iterates through
  ``guard_iter``, every computed output goes through ``emit``, the literal
  text of each output statement is counted at once by ``count_text``, every
  ``~`` goes through ``check_size``), so a huge or endless loop stops within the time budget, in
  the rendering thread, without ``sys.settrace`` and without a worker thread;
- ``range`` yields at most ``MAX_RANGE`` items;
- ``*``, ``**``, ``+``, ``%``, ``str.format``, width-taking filters and string
  methods refuse, before computing them, results over the size limits.

The data fields of the render context's own classes (``model``: frozen
dataclasses of strings, dates, lists and each other) are read without
jinja's generic safety checks, which would always pass for them and cost
more than the rest of an attribute access: a message reads a hundred.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import nodes, pass_context
from jinja2.exceptions import SecurityError
from jinja2.parser import Parser
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from dacapo.notifications import limits, model

MAX_RANGE = 10_000


def bounded_range(*args: int) -> range:
    """``range`` for templates, at most ``MAX_RANGE`` items."""
    limits.tick()
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise limits.LimitExceeded(
            f"range() of {len(result)} items exceeds the limit of {MAX_RANGE} items"
        )
    return result


# The instrumentation is written as filters: jinja calls them directly, not
# through the sandbox's ``call`` (ten times cheaper), and ``pass_context``
# keeps them from being folded into constants at compile time.


@pass_context
def guard_iter(context: Context, iterable: Iterable[Any]) -> Iterator[Any]:
    """What every ``{% for %}`` iterates through: one time check per item."""
    for item in iterable:
        limits.tick()
        yield item


@pass_context
def emit(context: Context, value: Any) -> Any:
    """What every piece of output goes through, captured or not."""
    limits.output(len(value) if isinstance(value, str) else limits.weight(value))
    return value


_NOTHING = Markup("")  # what ``count_text`` outputs: nothing, and nothing to escape


@pass_context
def count_text(context: Context, size: int) -> Markup:
    """Counts the literal text of an output statement, before it is output."""
    limits.output(size)
    return _NOTHING


@pass_context
def check_size(context: Context, value: Any) -> Any:
    limits.tick()
    return limits.check_size(value)


INSTRUMENTS = {
    "_guard_iter": guard_iter,
    "_emit": emit,
    "_count_text": count_text,
    "_check_size": check_size,
}


def _wrap(instrument: str, argument: nodes.Node) -> nodes.Filter:
    wrapped = nodes.Filter(argument, instrument, [], [], None, None)
    wrapped.set_lineno(argument.lineno)
    return wrapped


class _Instrument(NodeTransformer):
    def visit_For(self, node: nodes.For) -> nodes.For:
        self.generic_visit(node)
        node.iter = _wrap("_guard_iter", node.iter)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Filter:
        self.generic_visit(node)
        return _wrap("_check_size", node)

    def visit_Output(self, node: nodes.Output) -> nodes.Output:
        self.generic_visit(node)
        children: list[nodes.Expr] = []
        text = 0
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):  # literal text: output as is
                text += len(child.data)
                children.append(child)
            else:
                children.append(_wrap("_emit", child))
        if text:
            children.insert(0, _wrap("_count_text", nodes.Const(text, lineno=node.lineno)))
        node.nodes = children
        return node


_FILTER_WIDTHS = {"center": "width", "batch": "linecount", "slice": "slices", "tojson": "indent"}


def _check_filter(name: str, arguments: dict[str, Any]) -> None:
    if name in _FILTER_WIDTHS:
        limits.check_width(arguments.get(_FILTER_WIDTHS[name]))
    elif name == "indent":
        text, width = str(arguments["s"]), arguments["width"]
        insert = len(width) if isinstance(width, str) else int(width)
        limits.check_growth(text, text.count("\n") + 1, insert)
    elif name == "wordwrap":
        text, width = str(arguments["s"]), max(int(arguments["width"]), 1)
        limits.check_growth(text, len(text) // width + 1, len(arguments["wrapstring"] or "\n"))
    elif name == "replace":
        count = arguments["count"]
        limits.check_replace(str(arguments["s"]), arguments["old"], arguments["new"], count)
    elif name == "format":
        limits.check_printf(str(arguments["value"]))
    elif name == "join":
        arguments["value"] = items = list(arguments["value"])
        limits.check_join(str(arguments["d"]), items)


def guard_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` as a template filter: time checked, arguments and result bounded."""
    signature = inspect.signature(function)
    checked = name in _FILTER_WIDTHS or name in {"indent", "wordwrap", "replace", "format", "join"}

    @functools.wraps(function)  # keeps jinja's pass_context / pass_environment marker
    def guarded(*args: Any, **kwargs: Any) -> Any:
        limits.tick()
        if checked:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            _check_filter(name, bound.arguments)
            args, kwargs = bound.args, bound.kwargs
        return limits.check_size(function(*args, **kwargs))

    return guarded


# str methods a template may call; format/format_map are sandboxed by jinja.
_STR_METHOD_NAMES = (
    "capitalize casefold center count endswith expandtabs find format format_map index"
    " isalnum isalpha isascii isdecimal isdigit isidentifier islower isnumeric isprintable"
    " isspace istitle isupper join ljust lower lstrip partition removeprefix removesuffix"
    " replace rfind rindex rjust rpartition rsplit rstrip split splitlines startswith strip"
    " striptags swapcase title unescape upper zfill"
)
_STR_METHODS = frozenset(_STR_METHOD_NAMES.split())


def _check_str_method(
    text: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    if method not in _STR_METHODS:
        raise SecurityError(f"str.{method}() is not available in templates")
    if method in {"center", "ljust", "rjust", "zfill"}:
        limits.check_width(*args[:1])
    elif method == "expandtabs":
        tabsize = kwargs.get("tabsize", args[0] if args else 8)
        limits.check_growth(text, text.count("\t"), int(tabsize))
    elif method == "replace" and len(args) >= 2:
        limits.check_replace(text, *args[:3])
    elif method == "join" and args:
        items = list(args[0])
        limits.check_join(text, items)
        return (items,)
    return args


def _plain_members(cls: type) -> frozenset[str]:
    """The public fields and properties of a context class (all plain data)."""
    names = {f.name for f in dataclasses.fields(cls)}
    names |= {n for n, v in vars(cls).items() if isinstance(v, property) and n[0] != "_"}
    return frozenset(names)


PLAIN_MEMBERS: dict[type, frozenset[str]] = {
    cls: _plain_members(cls) for cls in model.CONTEXT_CLASSES
}


class BudgetedSandbox(ImmutableSandboxedEnvironment):
    """The sandboxed environment every dacapo template runs in."""

    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals["range"] = bounded_range
        self.globals.pop("lipsum", None)
        self.filters = {name: guard_filter(name, f) for name, f in self.filters.items()}
        self.filters.update(INSTRUMENTS)

    def parse_plain(
        self, source: str, name: str | None = None, filename: str | None = None
    ) -> nodes.Template:
        """The template's syntax tree as written (for static checks)."""
        return Parser(self, source, name, filename).parse()

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = _Instrument().visit(self.parse_plain(source, name, filename))
        tree.set_environment(self)
        return tree  # type: ignore[no-any-return]

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        raise SecurityError(
            f"unsafe access to attribute {attribute!r} of a {type(obj).__name__!r} object"
            " refused by the sandbox"
        )

    def getattr(self, obj: Any, attribute: str) -> Any:
        limits.tick()
        members = PLAIN_MEMBERS.get(type(obj))
        if members is not None and attribute in members:
            return getattr(obj, attribute)  # a data field of the context: always safe
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        limits.tick()
        members = PLAIN_MEMBERS.get(type(obj))
        if members is not None and isinstance(argument, str) and argument in members:
            return getattr(obj, argument)  # ``selectattr("deferred")``: what jinja would find
        return super().getitem(obj, argument)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is not None:
            limits.check_format(value.__self__)
        return wrapper

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        limits.tick()
        limits.check_binop(operator, left, right)
        return limits.check_size(super().call_binop(context, operator, left, right))

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        limits.tick()
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, str):  # Markup methods included
            args = _check_str_method(owner, getattr(obj, "__name__", ""), args, kwargs)
        return limits.check_size(super().call(context, obj, *args, **kwargs))
