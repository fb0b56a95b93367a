"""Render a message from its templates: an email (subject, text, HTML) or an SMS.

Templates are looked up in the campaign's own folder first, then in the
shipped ``templates/`` folder: a campaign overrides one file, or a partial
such as ``_signature.txt.j2``, and keeps the rest. A message ``reminder``
is ``reminder.subject.j2`` + ``reminder.txt.j2`` (+ ``reminder.html.j2``)
for email, ``reminder.sms.j2`` for SMS.

Every failure is a ``TemplateProblem`` naming the file and, when known, the
line: syntax errors, undefined variables (``StrictUndefined``), accesses the
sandbox refuses, budgets exceeded.

A ``Renderer`` compiles each file once and keeps it: it does not look at the
files again on every render (jinja's ``auto_reload`` costs a ``stat`` per file
and per include, each time). It also keeps the outputs that depend only on
plain values (``memo``: a subject that reads only ``campaign``). A long-lived
renderer (the dispatcher's) calls ``refresh()`` now and then: when a file of
its folders was added, removed or changed, everything is compiled again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, overload

from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound, TemplateSyntaxError
from jinja2.environment import Environment
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.loaders import split_template_path

from dacapo.notifications import limits
from dacapo.notifications.context import MessageContext, french_list
from dacapo.notifications.errors import TemplateProblem
from dacapo.notifications.gsm import Encoding, measure
from dacapo.notifications.memo import Outputs
from dacapo.notifications.sandbox import BudgetedSandbox, guard_filter

SHIPPED = Path(__file__).parent / "templates"
MAX_SOURCE_BYTES = 64 * 1024
MAX_OUTPUT_BYTES = 256 * 1024
TIME_LIMIT = 2.0  # seconds, for each template of a message

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SMS_SPACE = re.compile(r"[ \t\r\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str  # one line
    text: str
    html: str | None  # None when the message has no .html.j2 template


@dataclass(frozen=True)
class RenderedSms:
    text: str
    segments: int
    encoding: Encoding  # "ucs2" as soon as one character is outside GSM-7
    length: int  # septets (GSM-7) or UTF-16 units (UCS-2)
    non_gsm: tuple[str, ...]  # the characters that forced UCS-2


class _SizedLoader(FileSystemLoader):
    """A ``FileSystemLoader`` that refuses template files over a size."""

    def __init__(self, searchpath: list[Path], max_bytes: int) -> None:
        super().__init__(searchpath)
        self.max_bytes = max_bytes

    def get_source(self, environment: Environment, template: str) -> Any:
        for root in self.searchpath:
            path = Path(root, *split_template_path(template))
            if path.is_file():
                size = path.stat().st_size
                if size > self.max_bytes:
                    message = f"the file is {size} bytes, over the limit of {self.max_bytes}"
                    raise TemplateProblem(template, None, message)
                break
        return super().get_source(environment, template)


def _over(limit: int) -> limits.LimitExceeded:
    return limits.LimitExceeded(f"the output is over the limit of {limit} bytes")


def _is_html(name: str | None) -> bool:
    return name is not None and name.endswith(".html.j2")


def _tidy(text: str) -> str:
    """Plain text: no trailing spaces, at most one blank line in a row."""
    lines = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return _BLANK_LINES.sub("\n\n", lines) + "\n"


def located(filename: str, error: BaseException) -> TemplateProblem:
    """The problem for an error raised while rendering, at its template line."""
    line, where = None, filename
    trace = error.__traceback__
    while trace is not None:  # jinja rewrites frames to point at template lines
        code_file = trace.tb_frame.f_code.co_filename
        if code_file.endswith(".j2"):
            line, where = trace.tb_lineno, Path(code_file).name
        trace = trace.tb_next
    if isinstance(error, UndefinedError):
        message = f"undefined variable or attribute: {error.message}"
    elif isinstance(error, SecurityError):
        message = str(error)
        if "refused by the sandbox" not in message:
            message = f"unsafe operation refused by the sandbox: {message}"
    elif isinstance(error, limits.LimitExceeded):
        message = str(error)
    elif isinstance(error, RecursionError):
        message = "templates nested too deeply (a macro or an include calling itself?)"
    else:
        message = f"{type(error).__name__}: {error}"
    return TemplateProblem(where, line, message)


def campaign_folder(templates_dir: str | None) -> Path | None:
    """The folder a loaded campaign's ``notifications.templates_dir`` names, or None.

    ``campaign load`` stores it in full (a relative one resolved next to the campaign
    file), so it never depends on the directory the dispatcher or a command runs
    from; a relative one (stored by an older Da Capo) is refused, not looked for here.
    """
    if not templates_dir:
        return None
    folder = Path(templates_dir)
    if not folder.is_absolute():
        message = "templates folder stored as a relative path: load the campaign file again"
        raise TemplateProblem(templates_dir, None, message)
    if not folder.is_dir():
        message = "templates folder not found (the campaign's notifications.templates_dir)"
        raise TemplateProblem(templates_dir, None, message)
    return folder


class Renderer:
    """Renders messages; ``templates_dir`` is the campaign's own folder, if any."""

    def __init__(
        self,
        templates_dir: Path | None = None,
        *,
        time_limit: float = TIME_LIMIT,
        max_source_bytes: int = MAX_SOURCE_BYTES,
        max_output_bytes: int = MAX_OUTPUT_BYTES,
    ) -> None:
        if templates_dir is not None and not Path(templates_dir).is_dir():
            raise TemplateProblem(str(templates_dir), None, "templates folder not found")
        self.search_path = [Path(templates_dir), SHIPPED] if templates_dir else [SHIPPED]
        self.time_limit = time_limit
        self.max_output_bytes = max_output_bytes
        self.environment = BudgetedSandbox(
            loader=_SizedLoader(self.search_path, max_source_bytes),
            undefined=StrictUndefined,
            autoescape=_is_html,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # see refresh()
            cache_size=-1,  # every file compiled stays compiled (a few dozen files)
        )
        self.environment.filters["list_fr"] = guard_filter("list_fr", french_list)
        self._exists: dict[str, bool] = {}
        self._files = self._listing()
        self.outputs = Outputs(self.environment)

    def _listing(self) -> list[tuple[str, int, int]]:
        """Each template file of the folders: name, size and modification time."""
        found = []
        for root in self.search_path:
            try:
                entries = list(os.scandir(root))
            except OSError:  # the folder was removed: no file from it
                continue
            for entry in entries:
                if entry.name.endswith(".j2") and entry.is_file():
                    info = entry.stat()
                    found.append((f"{root}/{entry.name}", info.st_size, info.st_mtime_ns))
        return sorted(found)

    def refresh(self) -> bool:
        """Forget every compiled template if a file was added, removed or changed since."""
        files = self._listing()
        if files == self._files:
            return False
        self._files = files
        self.environment.cache.clear()  # type: ignore[union-attr]
        self._exists.clear()
        self.outputs.clear()
        return True

    def exists(self, filename: str) -> bool:
        found = self._exists.get(filename)
        if found is None:
            found = self._exists[filename] = any(
                (root / filename).is_file() for root in self.search_path
            )
        return found

    @overload
    def render(
        self,
        name: str,
        channel: Literal["email"],
        context: Mapping[str, object] | MessageContext,
    ) -> RenderedEmail: ...

    @overload
    def render(
        self,
        name: str,
        channel: Literal["sms"],
        context: Mapping[str, object] | MessageContext,
    ) -> RenderedSms: ...

    def render(
        self,
        name: str,
        channel: Literal["email", "sms"],
        context: Mapping[str, object] | MessageContext,
    ) -> RenderedEmail | RenderedSms:
        """The message ``name`` for ``channel``: subject, text and HTML, or SMS text."""
        if not _NAME.match(name):
            raise TemplateProblem(name, None, "not a template name (lower case, digits, _)")
        variables = context.variables() if isinstance(context, MessageContext) else context
        if channel == "email":
            subject = " ".join(self.render_file(f"{name}.subject.j2", variables).split())
            if not subject:
                raise TemplateProblem(f"{name}.subject.j2", None, "the subject is empty")
            text = _tidy(self.render_file(f"{name}.txt.j2", variables))
            html_file = f"{name}.html.j2"
            html = None
            if self.exists(html_file):
                html = self.render_file(html_file, variables).strip() + "\n"
            return RenderedEmail(subject, text, html)
        if channel == "sms":
            raw = self.render_file(f"{name}.sms.j2", variables)
            text = _SMS_SPACE.sub(" ", raw).strip()
            length = measure(text)
            return RenderedSms(text, length.segments, length.encoding, length.units, length.non_gsm)
        raise ValueError(f"unknown channel {channel!r} (email or sms)")

    def render_file(self, filename: str, variables: Mapping[str, object]) -> str:
        """One template file, within the budgets (or its output kept from an earlier
        render with the same values, see ``memo``)."""
        key = self.outputs.key(filename, variables)
        kept = None if key is None else self.outputs.get(key)
        if kept is None:
            kept = self._render_file(filename, variables)
            if key is not None:
                self.outputs.keep(key, kept)
        return kept

    def _render_file(self, filename: str, variables: Mapping[str, object]) -> str:
        limit = self.max_output_bytes
        try:
            template = self.environment.get_template(filename)
            parts: list[str] = []
            size = 0  # characters: never more than the bytes they encode to
            with limits.budget(self.time_limit, 4 * limit):
                for chunk in template.generate(variables):
                    size += len(chunk)
                    if size > limit:
                        raise _over(limit)
                    parts.append(chunk)
            text = "".join(parts)
            if 4 * size > limit and len(text.encode()) > limit:  # UTF-8: at most 4 bytes each
                raise _over(limit)
            return text
        except TemplateProblem:
            raise
        except TemplateNotFound as error:
            folders = ", ".join(str(p) for p in self.search_path)
            message = f"template {error.name!r} not found (searched {folders})"
            raise TemplateProblem(filename, None, message) from None
        except TemplateSyntaxError as error:
            where = Path(error.filename).name if error.filename else error.name or filename
            raise TemplateProblem(where, error.lineno, error.message or str(error)) from None
        except Exception as error:
            raise located(filename, error) from error
