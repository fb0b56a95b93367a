"""Consistency checks a schema cannot express: names, graphs, dates, conditions.

Each check yields ``(path, message)``; the loader places the path in the file.
Pure: the set of known template names is given by the caller.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

from dacapo.campaigns.schema import Campaign, Condition, Role, Workflow
from dacapo.rules import FORMATS, GUARDS
from dacapo.rules.checklist import requirement_items
from dacapo.rules.fields import FIELDS, STUDENT_STATUSES

Loc = tuple[str | int, ...]
Found = Iterator[tuple[Loc, str]]


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f"unknown {kind} {name!r}; did you mean {close[0]!r}?"
    return f"unknown {kind} {name!r} (known: {', '.join(known)})"


def check_campaign(
    campaign: Campaign, *, known_templates: Iterable[str] | None = None
) -> list[tuple[Loc, str]]:
    found: list[tuple[Loc, str]] = []
    found += _identity(campaign)
    found += _windows(campaign)
    for name, workflow in campaign.workflows.items():
        found += _workflow(("workflows", name), workflow)
    found += _requirements(campaign)
    found += _answers(campaign)
    found += _reminders(campaign)
    found += _chases(campaign)
    found += _messages(campaign)
    if known_templates is not None:
        found += _templates(campaign, set(known_templates))
    return found


def _identity(c: Campaign) -> Found:
    first_year = int(c.school_year.split("/")[0])
    if c.school_year_starts.year != first_year:
        yield (
            ("school_year_starts",),
            f"{c.school_year_starts} is not in {first_year}, "
            f"the first year of school year {c.school_year}",
        )
    for key in c.catalog.discipline_labels:
        if key not in c.catalog.disciplines:
            yield (
                ("catalog", "discipline_labels", key),
                _unknown("discipline", key, c.catalog.disciplines),
            )
    for key in c.catalog.cycle_labels:
        if key not in c.catalog.cycles:
            yield (("catalog", "cycle_labels", key), _unknown("cycle", key, c.catalog.cycles))


def _windows(c: Campaign) -> Found:
    for name, w in c.windows.items():
        loc = ("windows", name)
        if w.closes < w.opens:
            yield ((*loc, "closes"), f"the window closes ({w.closes}) before it opens ({w.opens})")
        elif w.closes == w.opens and w.opens_at and w.closes_at and w.closes_at <= w.opens_at:
            yield ((*loc, "closes_at"), "the window closes before it opens on the same day")
        if w.workflow not in c.workflows:
            yield ((*loc, "workflow"), _unknown("workflow", w.workflow, c.workflows))
        for key, at in (("opens_at", w.opens_at), ("closes_at", w.closes_at)):
            if at is not None and (problem := _changing_hour(c, at)):
                yield ((*loc, key), problem)


def _changing_hour(c: Campaign, at: dt.time) -> str | None:
    """Why ``at`` is refused as a time of day: the campaign's zone skips or repeats it
    on a day of the school year's calendar years (02:00–02:59 in Europe/Paris).

    Refused on every date, not only on the night of the change, so that a reload
    moving a date never lands a time on a wall-clock time that is missing or twice.
    """
    for start, end in _changes(c.timezone, *_years(c.school_year)):
        if start <= at < end:
            return (
                f"{at:%H:%M} is in the {start:%H:%M}–{end:%H:%M} hour that daylight "
                "saving time skips or repeats; choose another time"
            )
    return None


def _years(school_year: str) -> tuple[int, int]:
    first, second = (int(x) for x in school_year.split("/"))
    return first, second


@functools.cache
def _changes(zone_name: str, first: int, last: int) -> tuple[tuple[dt.time, dt.time], ...]:
    """The wall-clock spans ``zone_name`` skips or repeats from ``first`` to ``last``."""
    zone = ZoneInfo(zone_name)
    spans: set[tuple[dt.time, dt.time]] = set()
    day = dt.date(first, 1, 1)
    while day.year <= last:
        before = dt.datetime.combine(day, dt.time(), zone).utcoffset()
        after = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).utcoffset()
        if before is not None and after is not None and before != after:
            spans.add(_span(day, zone))
        day += dt.timedelta(days=1)
    return tuple(sorted(spans))


def _span(day: dt.date, zone: ZoneInfo) -> tuple[dt.time, dt.time]:
    """The wall-clock span the change of ``day`` skips or repeats, to the minute."""
    odd = [
        at
        for at in (dt.time(h, m) for h in range(24) for m in range(60))
        if dt.datetime.combine(day, at, zone).utcoffset()
        != dt.datetime.combine(day, at.replace(fold=1), zone).utcoffset()
    ]  # skipped or repeated: the two readings of the wall-clock time differ
    first, last = odd[0], odd[-1]
    end = (dt.datetime.combine(day, last) + dt.timedelta(minutes=1)).time()
    return first, end


def _reachable(workflow: Workflow) -> set[str]:
    seen = {workflow.initial}
    queue = deque([workflow.initial])
    while queue:
        state = queue.popleft()
        for t in workflow.transitions:
            if state in workflow.sources(t) and t.to not in seen:
                seen.add(t.to)
                queue.append(t.to)
    return seen


def _workflow(loc: Loc, w: Workflow) -> Found:
    states = set(w.states)
    if w.initial not in states:
        yield ((*loc, "initial"), _unknown("state", w.initial, states))
    if w.success not in w.final:
        yield ((*loc, "success"), f"success state {w.success!r} must be one of the final states")
    for i, name in enumerate(w.final):
        if name not in states:
            yield ((*loc, "final", i), _unknown("state", name, states))
    seen_pairs: dict[tuple[str, str], int] = {}
    for i, t in enumerate(w.transitions):
        tloc = (*loc, "transitions", i)
        sources = w.sources(t)
        if t.from_ != "*":
            for j, src in enumerate(t.from_):
                if src not in states:
                    yield ((*tloc, "from", j), _unknown("state", src, states))
                elif src in w.final and not t.reopen:
                    yield (
                        (*tloc, "from", j),
                        f"final state {src!r} cannot have an outgoing "
                        "transition (mark a staff reopening with 'reopen: true')",
                    )
        if t.to not in states:
            yield ((*tloc, "to"), _unknown("state", t.to, states))
        if t.reopen and (set(t.by) != {Role.STAFF} or not t.reason_required):
            yield (
                (*tloc, "reopen"),
                "a reopening transition must be staff-only with 'reason_required: true'",
            )
        for j, guard in enumerate(t.guards):
            if guard not in GUARDS:
                yield ((*tloc, "guards", j), _unknown("guard", guard, GUARDS))
        for src in sources:
            if (t.event, src) in seen_pairs:
                yield (
                    (*tloc, "event"),
                    f"event {t.event!r} from {src!r} is already declared by "
                    f"transition {seen_pairs[t.event, src]}",
                )
            seen_pairs.setdefault((t.event, src), i)
    if w.initial in states:
        for name in states - _reachable(w):
            yield ((*loc, "states", name), f"state {name!r} cannot be reached from {w.initial!r}")
    for name in states - set(w.final):
        if not any(name in w.sources(t) for t in w.transitions):
            yield ((*loc, "states", name), f"state {name!r} is not final and has no way out")


def _vocabulary(c: Campaign, field: str) -> list[Any] | None:
    vocabulary = FIELDS[field].vocabulary
    if vocabulary == "disciplines":
        return list(c.catalog.disciplines)
    if vocabulary == "cycles":
        return list(c.catalog.cycles)
    if vocabulary == "instruments":
        return list(c.catalog.instruments)
    if vocabulary == "status":
        return list(STUDENT_STATUSES)
    if vocabulary == "bool":
        return [True, False]
    return None


def _condition(c: Campaign, loc: Loc, cond: Condition) -> Found:
    if cond.field is not None:
        if cond.field not in FIELDS:
            yield ((*loc, "field"), _unknown("field", cond.field, FIELDS))
            return
        allowed = _vocabulary(c, cond.field)
        if allowed is None:
            return
        tested: list[tuple[Loc, object]] = []
        if cond.equals is not None:
            tested.append(((*loc, "equals"), cond.equals))
        tested += [((*loc, "in", i), v) for i, v in enumerate(cond.in_ or [])]
        for where, value in tested:
            if value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool):
                yield (
                    where,
                    f"{value!r} is not a value of {cond.field} (known: "
                    f"{', '.join(str(a).lower() if isinstance(a, bool) else a for a in allowed)})",
                )
    for key, members in (("all", cond.all), ("any", cond.any)):
        for i, member in enumerate(members or []):
            yield from _condition(c, (*loc, key, i), member)
    if cond.not_ is not None:
        yield from _condition(c, (*loc, "not"), cond.not_)


def _requirements(c: Campaign) -> Found:
    r = c.requirements
    for i, req in enumerate(r.fields):
        loc: Loc = ("requirements", "fields", i)
        if req.field not in FIELDS:
            yield ((*loc, "field"), _unknown("field", req.field, FIELDS))
        if req.when is not None:
            yield from _condition(c, (*loc, "when"), req.when)
    for field, fmt in r.formats.items():
        if field not in FIELDS:
            yield (("requirements", "formats", field), _unknown("field", field, FIELDS))
        if fmt not in FORMATS:
            yield (("requirements", "formats", field), _unknown("format", fmt, FORMATS))
    for name, doc in r.documents.items():
        loc = ("requirements", "documents", name)
        if doc.when is not None:
            yield from _condition(c, (*loc, "when"), doc.when)
        for i, alt in enumerate(doc.accepts):
            aloc = (*loc, "accepts", i)
            if alt.kind not in c.document_kinds:
                yield ((*aloc, "kind"), _unknown("document kind", alt.kind, c.document_kinds))
            if alt.valid_from and alt.valid_until and alt.valid_until < alt.valid_from:
                yield (
                    (*aloc, "valid_until"),
                    f"validity ends ({alt.valid_until}) before it starts ({alt.valid_from})",
                )
            if alt.tax_year and alt.income_year and alt.income_year >= alt.tax_year:
                yield (
                    (*aloc, "income_year"),
                    f"a {alt.tax_year} tax notice is on the income "
                    f"of an earlier year, not {alt.income_year}",
                )


def _answers(c: Campaign) -> Found:
    p = c.answers.preferences
    if p is None:
        return
    loc = ("answers", "preferences")
    if p.when is not None:
        yield from _condition(c, (*loc, "when"), p.when)
    if p.max_choices is not None and p.max_choices < p.min_choices:
        yield (
            (*loc, "max_choices"),
            f"max_choices ({p.max_choices}) is below min_choices ({p.min_choices})",
        )
    if p.min_choices > len(p.choices):
        yield (
            (*loc, "min_choices"),
            f"min_choices ({p.min_choices}) exceeds the {len(p.choices)} choices offered",
        )
    seen: set[str] = set()
    for i, choice in enumerate(p.choices):
        if choice in seen:
            yield ((*loc, "choices", i), f"{choice!r} is listed twice")
        seen.add(choice)


def _reminders(c: Campaign) -> Found:
    items = requirement_items(c)
    ids: set[str] = set()
    for i, rem in enumerate(c.reminders):
        loc = ("reminders", i)
        if rem.id in ids:
            yield ((*loc, "id"), f"reminder id {rem.id!r} is used twice")
        ids.add(rem.id)
        for j, item in enumerate(rem.missing):
            if item not in items:
                yield ((*loc, "missing", j), _unknown("requirement", item, items))
        if problem := _changing_hour(c, rem.at):
            yield ((*loc, "at"), problem)
        window = c.windows.get(rem.window)
        if window is None:
            yield ((*loc, "window"), _unknown("window", rem.window, c.windows))
            continue
        day = window.closes - dt.timedelta(days=rem.days_before_close)
        if day < window.opens:
            yield (
                (*loc, "days_before_close"),
                f"the reminder would go on {day}, before the "
                f"window {rem.window!r} opens on {window.opens}",
            )
        elif window.closes_at and day == window.closes and rem.at >= window.closes_at:
            yield (
                (*loc, "at"),
                f"the reminder at {rem.at:%H:%M} would go after the window "
                f"closes at {window.closes_at:%H:%M}",
            )


def _chases(c: Campaign) -> Found:
    """A deferred document is chased after the windows that ask for it, before it is due."""
    judged = [
        (name, w)
        for name, w in c.windows.items()
        if w.workflow in c.workflows
        and any("documents_present" in t.guards for t in c.workflows[w.workflow].transitions)
    ]
    for key, requirement in c.requirements.documents.items():
        deferred = requirement.deferred
        if deferred is None or deferred.chase_on is None:
            continue
        loc = ("requirements", "documents", key, "deferred")
        chase = deferred.chase_on
        late = [(name, w) for name, w in judged if chase <= w.closes]
        if late:
            name, window = max(late, key=lambda item: item[1].closes)
            yield (
                (*loc, "chase_on"),
                f"the chase on {chase} would go before the window {name!r} "
                f"closes on {window.closes}: choose a later day",
            )
        elif chase >= deferred.due:
            yield (
                (*loc, "chase_on"),
                f"the chase on {chase} would go on or after the due date ({deferred.due}): "
                "choose an earlier day",
            )
        if problem := _changing_hour(c, deferred.chase_at):
            yield ((*loc, "chase_at"), problem)
        if "deferred_documents" not in c.notifications.messages:
            yield (
                (*loc, "chase_on"),
                "a chase needs the message 'deferred_documents' under notifications.messages",
            )


def _messages(c: Campaign) -> Found:
    declared = c.notifications.messages
    for name, workflow in c.workflows.items():
        for i, t in enumerate(workflow.transitions):
            if t.notify is not None and t.notify not in declared:
                yield (
                    ("workflows", name, "transitions", i, "notify"),
                    f"message {t.notify!r} is not declared under notifications.messages",
                )


def _templates(c: Campaign, known: set[str]) -> Found:
    for i, rem in enumerate(c.reminders):
        if rem.template not in known:
            yield (("reminders", i, "template"), _unknown("template", rem.template, known))
    for event, spec in c.notifications.messages.items():
        if spec.template not in known:
            yield (
                ("notifications", "messages", event, "template"),
                _unknown("template", spec.template, known),
            )
