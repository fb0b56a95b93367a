"""The report as one CSV file: one row per line of any section, named in ``section``.

Columns (every row has all of them; a section leaves the others empty):

``section``
    ``campaign`` (one row: every dossier), ``window`` (completion per window),
    ``state`` (dossiers per window and state), ``discipline``, ``cycle``
    (completion per discipline and cycle), ``call_list`` (open dossiers to
    chase, by deadline then ref), ``deferred`` (deferred documents not yet
    supplied), ``messages`` (outbox counts), ``funnel`` (dossiers per state
    at the end of each day).
``window``, ``state``
    the window and the state (names, as in the campaign file).
``item``
    ``campaign``: its id; ``discipline``/``cycle``: the discipline or cycle
    (empty: not filled in); ``deferred``: the requirement; ``messages``: the event.
``label``
    the French label of the state, window, discipline, cycle or requirement;
    ``messages``: the template.
``ref``, ``student``, ``family``
    the dossier, the pupil's name and the family ref (``call_list``, ``deferred``).
``date``
    ISO date: the deadline (``call_list``), the due date (``deferred``), the
    window's last day (``window``), the day (``funnel``).
``channel``, ``status``
    ``messages``: ``email``/``sms`` and the outbox status.
``count``
    dossiers (``state``, ``funnel``), dossiers in the success state
    (``campaign``, ``window``, ``discipline``, ``cycle``), messages (``messages``).
``total``, ``rate``
    all the dossiers of the line, and ``count / total`` (4 decimals).
``detail``
    what the dossier lacks (``call_list``), the requirement's note (``deferred``).
``guardians``
    the family's guardians, ``Name 06 12 34 56 78`` separated by `` | ``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any, TextIO

from dacapo.reports.model import Guardian, Report
from dacapo.reports.text import guardians_text

COLUMNS = (
    "section", "window", "state", "item", "label", "ref", "student", "family", "date",
    "channel", "status", "count", "total", "rate", "detail", "guardians",
)  # fmt: skip


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _line(**values: Any) -> tuple[Any, ...]:
    """A row of the short sections: the named columns, the others empty."""
    return tuple(values.get(column, "") for column in COLUMNS)


def rows(report: Report) -> Iterator[tuple[Any, ...]]:
    """The CSV's rows, in ``COLUMNS`` order (the long sections written as tuples directly)."""
    r = report
    yield _line(section="campaign", item=r.campaign, label=r.title,
                date=r.generated_at.date().isoformat(), count=r.succeeded, total=r.dossiers,
                rate=_rate(r.completion))  # fmt: skip
    for w in r.windows:
        yield _line(section="window", window=w.window, label=w.label,
                    date=w.closes.isoformat() if w.closes else "", count=w.succeeded,
                    total=w.dossiers, rate=_rate(w.completion))  # fmt: skip
        for s in w.states:
            yield _line(section="state", window=w.window, state=s.state, label=s.label,
                        count=s.dossiers)  # fmt: skip
    for section, lines in (("discipline", r.by_discipline), ("cycle", r.by_cycle)):
        for c in lines:
            yield _line(section=section, item=c.key or "", label=c.label, count=c.succeeded,
                        total=c.dossiers, rate=_rate(c.completion))  # fmt: skip
    who: dict[int, str] = {}  # a family's guardians, shared by its pupils' rows

    def contacts(guardians: tuple[Guardian, ...]) -> str:
        found = who.get(id(guardians))
        if found is None:
            found = who[id(guardians)] = guardians_text(guardians)
        return found

    for call in r.call_list:
        deadline = call.deadline.isoformat() if call.deadline else ""
        yield ("call_list", call.window, call.state, "", call.state_label, call.ref,
               call.student, call.family, deadline, "", "", "", "", "", call.lacks,
               contacts(call.guardians))  # fmt: skip
    for o in r.deferred:
        yield ("deferred", o.window, o.state, o.requirement, o.label, o.ref, o.student, o.family,
               o.due.isoformat(), "", "", "", "", "", o.note, contacts(o.guardians))  # fmt: skip
    for m in r.messages:
        for status in ("pending", "sending", "sent", "failed", "cancelled"):
            yield _line(section="messages", item=m.event, label=m.template, channel=m.channel,
                        status=status, count=getattr(m, status))  # fmt: skip
    days = [day.isoformat() for day in r.funnel.days]
    for window in r.funnel.windows:
        for series in window.series:
            for day, count in zip(days, series.counts, strict=True):
                yield ("funnel", window.window, series.state, "", series.label, "", "", "", day,
                       "", "", count, "", "", "", "")  # fmt: skip


def render_csv(report: Report, out: TextIO) -> None:
    """Write the CSV (comma-separated, header first) to ``out``, opened with ``newline=""``."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(report))
