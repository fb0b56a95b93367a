"""The report as one self-contained HTML page: inline CSS and SVG, no script, no network.

Rendered by Jinja2 with autoescaping on: every name, remark or label from the
database is escaped (a ``<script>`` in a name is shown, never run), and the
page's Content-Security-Policy forbids scripts and outside resources anyway.
The two long tables (the call list and the deferred documents: tens of
thousands of rows in a city) are written here, each cell through
``markupsafe.escape``, the cells shared by many rows (a family's guardians, a
state's label, what a state lacks, a date) escaped once: several times faster
than the same rows in the template. The page goes out a thousand rows at a
time, never whole in memory.
The daily funnel is an inline SVG chart per window (``reports.chart``), with
``<title>``/``<desc>`` for screen readers and the figures in a table below it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TextIO

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from dacapo.reports.chart import stacked_chart
from dacapo.reports.model import CallEntry, DeferredEntry, Guardian, Report
from dacapo.reports.text import day, guardian_line, instant, percent

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(percent=percent, day=day, instant=instant, guardian=guardian_line)
    return env


class _Cells:
    """Escaped cells, remembered: many rows share a value (by identity for guardians)."""

    def __init__(self) -> None:
        self.shared: dict[object, str] = {}

    def text(self, value: object) -> str:
        found = self.shared.get(value)
        if found is None:
            found = self.shared[value] = str(escape(value))
        return found

    def day(self, value: dt.date | None) -> str:
        if value is None:
            return "—"
        found = self.shared.get(value)
        if found is None:
            found = self.shared[value] = day(value)  # digits and slashes: nothing to escape
        return found

    def guardians(self, guardians: tuple[Guardian, ...]) -> str:
        key = ("guardians", id(guardians))
        found = self.shared.get(key)
        if found is None:
            items = "".join(
                f'<li class="nowrap">{escape(guardian_line(g))}</li>' for g in guardians
            )
            found = self.shared[key] = f'<ul class="who">{items}</ul>'
        return found


ROWS = 1000  # table rows per chunk of text: the page is written out chunk by chunk


def _call_rows(calls: tuple[CallEntry, ...], cells: _Cells) -> Iterator[Markup]:
    e, t = escape, cells.text
    for start in range(0, len(calls), ROWS):
        yield Markup("\n".join(
            f'<tr><td class="nowrap">{cells.day(c.deadline)}</td><td class="nowrap">{e(c.ref)}'
            f"</td><td>{e(c.student)}</td><td>{t(c.family)}</td><td>{t(c.state_label)}</td>"
            f"<td>{t(c.lacks)}</td><td>{cells.guardians(c.guardians)}</td></tr>"
            for c in calls[start : start + ROWS]
        ))  # fmt: skip


def _deferred_rows(owed: tuple[DeferredEntry, ...], cells: _Cells) -> Iterator[Markup]:
    e, t = escape, cells.text
    for start in range(0, len(owed), ROWS):
        yield Markup("\n".join(
            f'<tr><td class="nowrap">{cells.day(o.due)}</td><td>{t(o.label)}<br>'
            f'<span class="muted">{t(o.note)}</span></td><td class="nowrap">{e(o.ref)}</td>'
            f"<td>{e(o.student)}</td><td>{t(o.family)}</td><td>{t(o.state_label)}</td>"
            f"<td>{cells.guardians(o.guardians)}</td></tr>"
            for o in owed[start : start + ROWS]
        ))  # fmt: skip


def render_html(report: Report, out: TextIO) -> None:
    """Write the page to ``out``."""
    charts = [stacked_chart(window, report.funnel.days) for window in report.funnel.windows]
    cells = _Cells()
    rows = {
        "call_rows": _call_rows(report.call_list, cells),
        "deferred_rows": _deferred_rows(report.deferred, cells),
    }
    template = _environment().get_template("report.html.j2")
    for chunk in template.generate(r=report, charts=charts, **rows):
        out.write(chunk)
