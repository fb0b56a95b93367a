"""What each dossier lacks, in one SQL query: ``store.outstanding.owing``'s verdict, set-based.

``owing`` reaches the rules' own verdict by building a snapshot for every
dossier that holds a candidate document (0.35 to 1 ms each as measured here:
half a minute or more for 100,000 dossiers). The report needs the verdict for a
whole campaign within its 3 s, so here each document requirement becomes two
SQL predicates, evaluated by the database for every dossier in one query:

- *applies*: its ``when`` condition (``rules.conditions.holds``) over the
  closed catalogue of ``rules.fields``: ``student.postcode``/``city`` fall back
  to the family's, ``student.adult`` is the birth date against the first day of
  the school year, a ``guardian.*`` test holds when any guardian's value does;
  strings compare trimmed; a missing value equals nothing and is not present
  (every leaf ``COALESCE``d to a boolean, so ``not`` behaves as in Python);
- *supplied*: a document of the right owner (the family's own for a family
  requirement, the pupil's for a pupil's) meeting one alternative with no
  problem at all (``rules.documents.problems`` empty: not rejected, validity
  dates, tax and income years, issue date and age at ``now``'s local date,
  signature); computed in one pass over ``document`` grouped by owner (a 0/1
  column per requirement), joined to each dossier's family and pupil.

A requirement applied and not supplied is *deferred* if the campaign defers it,
else *missing*: what ``check_requirement`` concludes. Dossiers are judged where
``owing`` judges them: open ones with ``documents_present`` ahead on their way
to success, and with ``confirmed`` those in the success state, for deferred
requirements only. ``tests/integration/test_report.py`` checks the two agree on
the corpus of ``test_outstanding``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Table,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
)
from sqlmodel import Session

from dacapo.campaigns.schema import (
    AcceptedDocument,
    Campaign,
    Condition,
    Level,
)
from dacapo.rules.checklist import success_path
from dacapo.store.report_queries import (
    DOSSIER,
    FAMILY,
    LISTED_COLUMNS,
    STUDENT,
    D,
    F,
    G,
    Listed,
    S,
    of_campaign,
)
from dacapo.store.tables import Document

DOCUMENT: Table = Document.__table__  # type: ignore[attr-defined]
DOC = DOCUMENT.c
Verdict = tuple[tuple[str, ...], tuple[str, ...]]  # (missing, deferred) requirement names


def adult_born_by(school_year_starts: dt.date) -> dt.date:
    """The last birth date of a pupil 18 or over on ``school_year_starts`` (``rules.fields``)."""
    try:
        return school_year_starts.replace(year=school_year_starts.year - 18)
    except ValueError:  # 29 February
        return dt.date(school_year_starts.year - 18, 2, 28)


def _column(path: str) -> Any:
    scope, name = path.split(".", 1)
    if scope == "family":
        return F[name]
    if scope == "guardian":
        return G[name]
    if name in ("postcode", "city"):  # « les coordonnées du responsable »
        own = S[name]
        return case((or_(own.is_(None), own == ""), F[name]), else_=own)
    return S[name]


def _wanted(condition: Condition) -> list[str | int | bool]:
    if condition.equals is not None:
        return [condition.equals]
    return list(condition.in_ or [])


def _adult(condition: Condition, school_year_starts: dt.date) -> ColumnElement[bool]:
    """``student.adult``: a boolean, always present."""
    if condition.present is not None:
        return true() if condition.present else false()
    born_by = adult_born_by(school_year_starts)
    adult = and_(S.birth_date.is_not(None), S.birth_date <= born_by)
    wanted = {w for w in _wanted(condition) if isinstance(w, bool)}
    if wanted == {True, False}:
        return true()
    if wanted == {True}:
        return adult
    return not_(adult) if wanted == {False} else false()


def _leaf(condition: Condition, school_year_starts: dt.date) -> ColumnElement[bool]:
    """One ``field`` test as SQL, never NULL (``rules.conditions._field_holds``)."""
    assert condition.field is not None
    if condition.field == "student.adult":
        return _adult(condition, school_year_starts)
    column = _column(condition.field)
    is_date = condition.field == "student.birth_date"
    if condition.present is not None:
        filled = column.is_not(None) if is_date else func.trim(func.coalesce(column, "")) != ""
        return filled if condition.present else not_(filled)
    choices = [_comparable(w, is_date) for w in _wanted(condition) if not isinstance(w, bool)]
    kept = [c for c in choices if c is not None]
    if not kept:
        return false()
    value = column if is_date else func.trim(column)
    return func.coalesce(value.in_(kept), false())


def _comparable(wanted: str | int, is_date: bool) -> Any:
    """What a value must equal: trimmed text, or a date (None: equals nothing)."""
    text = wanted.strip() if isinstance(wanted, str) else str(wanted)
    if not is_date:
        return text
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def condition_sql(condition: Condition, school_year_starts: dt.date) -> ColumnElement[bool]:
    """``rules.conditions.holds`` as SQL over ``student``, ``family`` and ``guardian``."""
    if condition.field is not None:
        leaf = _leaf(condition, school_year_starts)
        if condition.field.startswith("guardian."):
            return exists().where(G.family_id == S.family_id, leaf)
        return leaf
    if condition.all is not None:
        return and_(*(condition_sql(c, school_year_starts) for c in condition.all))
    if condition.any is not None:
        return or_(*(condition_sql(c, school_year_starts) for c in condition.any))
    assert condition.not_ is not None
    return not_(condition_sql(condition.not_, school_year_starts))


def _meets(alternative: AcceptedDocument, today: dt.date) -> ColumnElement[bool]:
    """A document of this kind with no problem (``rules.documents.problems``)."""
    a = alternative
    tests: list[ColumnElement[bool]] = [DOC.kind == a.kind, DOC.status != "rejected"]
    if a.valid_from is not None:
        tests.append(and_(DOC.valid_from.is_not(None), DOC.valid_from <= a.valid_from))
    if a.valid_until is not None:
        tests.append(and_(DOC.valid_until.is_not(None), DOC.valid_until >= a.valid_until))
    if a.tax_year is not None:
        tests.append(DOC.tax_year == a.tax_year)
    if a.income_year is not None:
        tests.append(DOC.income_year == a.income_year)
    if a.issued_on_or_after is not None or a.max_age_days is not None:
        tests.append(DOC.issued.is_not(None))
    if a.issued_on_or_after is not None:
        tests.append(DOC.issued >= a.issued_on_or_after)
    if a.max_age_days is not None:
        oldest = today - dt.timedelta(days=a.max_age_days)
        tests.append(and_(DOC.issued <= today, DOC.issued >= oldest))
    if a.signed:
        tests.append(DOC.signed.is_(True))
    return and_(*tests)


def _held(campaign: Campaign, today: dt.date, level: Level) -> Any:
    """Per family (its own documents) or per pupil, one 0/1 column per requirement of that
    level: whether a document meets it. One pass over ``document``, grouped by owner."""
    owner = DOC.family_id if level is Level.FAMILY else DOC.student_id
    columns = [
        func.max(case((or_(*(_meets(a, today) for a in r.accepts)), 1), else_=0)).label(f"r{i}")
        for i, r in enumerate(campaign.requirements.documents.values())
        if r.level is level
    ]
    kept = DOC.student_id.is_(None) if level is Level.FAMILY else DOC.student_id.is_not(None)
    return select(owner.label("owner"), *columns).where(kept).group_by(owner).subquery()


def _in_states(states: dict[str, list[str]]) -> list[ColumnElement[bool]]:
    """``workflow = w AND state IN (...)``, one per workflow."""
    return [and_(D.workflow == w, D.state.in_(s)) for w, s in states.items() if s]


def _scopes(campaign: Campaign, confirmed: bool) -> tuple[list[Any], list[Any]]:
    """Predicates of the dossiers judged on every requirement, and on deferred ones only."""
    every: dict[str, list[str]] = {}
    deferred_only: dict[str, list[str]] = {}
    for name, workflow in campaign.workflows.items():
        for state in workflow.states:
            if state in workflow.final:
                if confirmed and state == workflow.success:
                    deferred_only.setdefault(name, []).append(state)
            elif any("documents_present" in t.guards for t in success_path(workflow, state)):
                every.setdefault(name, []).append(state)
    return _in_states(every), _in_states(deferred_only)


@dataclass(frozen=True)
class _Judged:
    """The dossiers joined to what they hold, and one 0/1 column per requirement owed."""

    source: Any  # dossier ⋈ student ⋈ family ⟕ documents held
    judged: ColumnElement[bool]  # the dossiers in a state where documents are judged
    flags: Sequence[ColumnElement[int]]  # in the campaign's order of requirements


def _judged(campaign: Campaign, now: dt.datetime, confirmed: bool) -> _Judged:
    today = now.astimezone(campaign.zone).date()
    every, deferred_only = _scopes(campaign, confirmed)
    family = _held(campaign, today, Level.FAMILY)
    pupil = _held(campaign, today, Level.STUDENT)
    judged_fully = or_(*every) if every else false()
    flags = []
    for i, requirement in enumerate(campaign.requirements.documents.values()):
        judged = or_(judged_fully, *deferred_only) if requirement.deferred else judged_fully
        applies = (
            true()
            if requirement.when is None
            else condition_sql(requirement.when, campaign.school_year_starts)
        )
        owner = family if requirement.level is Level.FAMILY else pupil
        supplied = func.coalesce(owner.c[f"r{i}"], 0) == 1
        flags.append(cast(case((and_(judged, applies, not_(supplied)), 1), else_=0), Integer))
    source = (
        DOSSIER.join(STUDENT, S.id == D.student_id)
        .join(FAMILY, F.id == S.family_id)
        .outerjoin(family, family.c.owner == S.family_id)
        .outerjoin(pupil, pupil.c.owner == D.student_id)
    )
    return _Judged(source, or_(judged_fully, *deferred_only), flags)


def _verdict(campaign: Campaign, bits: Sequence[int]) -> Verdict:
    documents = campaign.requirements.documents
    lacking = [name for name, bit in zip(documents, bits, strict=True) if bit]
    missing = tuple(n for n in lacking if documents[n].deferred is None)
    deferred = tuple(n for n in lacking if documents[n].deferred is not None)
    return missing, deferred


def lacking_documents(
    session: Session, campaign: Campaign, *, now: dt.datetime, confirmed: bool = True
) -> dict[int, Verdict]:
    """``{dossier id: (missing, deferred)}`` for the campaign's dossiers lacking a document."""
    j = _judged(campaign, now, confirmed)
    inner = (
        select(D.id.label("id"), *(flag.label(f"r{i}") for i, flag in enumerate(j.flags)))
        .select_from(j.source)
        .where(of_campaign(session, campaign.id), j.judged)
        .subquery()
    )
    owed = [inner.c[f"r{i}"] for i in range(len(j.flags))]
    query = select(inner.c.id, *owed).where(or_(false(), *(flag == 1 for flag in owed)))
    return {row[0]: _verdict(campaign, row[1:]) for row in session.execute(query).all()}


def to_chase(
    session: Session, campaign: Campaign, *, now: dt.datetime
) -> list[tuple[Listed, Verdict]]:
    """Every open dossier, and every success-state one owing a deferred document, each
    with what it lacks: the call list and the deferred list, in one query."""
    j = _judged(campaign, now, confirmed=True)
    still_open = or_(false(), *_in_states(
        {name: [s for s in w.states if s not in w.final] for name, w in campaign.workflows.items()}
    ))  # fmt: skip
    inner = (
        select(
            *LISTED_COLUMNS,
            cast(case((still_open, 1), else_=0), Integer).label("still_open"),
            *(flag.label(f"r{i}") for i, flag in enumerate(j.flags)),
        )
        .select_from(j.source)
        .where(of_campaign(session, campaign.id), or_(still_open, j.judged))
        .subquery()
    )
    deferred = [
        inner.c[f"r{i}"] == 1
        for i, requirement in enumerate(campaign.requirements.documents.values())
        if requirement.deferred is not None
    ]
    query = select(inner).where(or_(inner.c.still_open == 1, *deferred))
    width = len(LISTED_COLUMNS)
    verdicts: dict[tuple[int, ...], Verdict] = {}  # a few combinations for 100,000 rows
    found = []
    for row in session.execute(query).all():
        bits = tuple(row[width + 1 :])
        if bits not in verdicts:
            verdicts[bits] = _verdict(campaign, bits)
        found.append((Listed(*row[:width]), verdicts[bits]))
    return found
