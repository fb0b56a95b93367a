"""Which fields, documents and answers apply to each kind of pupil.

A category ("Danse — minor", "Musique, Théâtre — éveil", "Danse — adult")
fixes the fields conditions may test about a pupil's kind (discipline, cycle,
adult) to the set of values they may take. Conditions are evaluated
structurally, in three-valued logic: ``True`` or ``False`` when every pupil of
the category gives the same answer, ``None`` ("depends") otherwise, e.g. on a
cycle other than éveil, or on a field the category does not fix. Rows are
merged across disciplines that need the same.

``dacapo.rules.conditions.holds`` answers for one dossier snapshot, in two
values; this answers for a whole category, so it cannot reuse it (and the
campaigns package does not import the rules package). Field tests follow the
same semantics: booleans only equal booleans, blank text is not present.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dacapo.campaigns.schema import AcceptedDocument, Campaign, Condition

EVEIL = "eveil"

Facts = Mapping[str, frozenset[object]]
"""Field path → the values it may take in a category; a missing field is unknown."""


def evaluate(condition: Condition, facts: Facts) -> bool | None:
    """``True``/``False`` if it holds for all/none of the category's pupils, else ``None``."""
    if condition.all is not None:
        results = [evaluate(c, facts) for c in condition.all]
        if False in results:
            return False
        return True if all(r is True for r in results) else None
    if condition.any is not None:
        results = [evaluate(c, facts) for c in condition.any]
        if True in results:
            return True
        return False if all(r is False for r in results) else None
    if condition.not_ is not None:
        result = evaluate(condition.not_, facts)
        return None if result is None else not result
    possible = facts.get(condition.field or "")
    if possible is None:
        return None
    outcomes = {_test(condition, value) for value in possible}
    return outcomes.pop() if len(outcomes) == 1 else None


def _test(condition: Condition, value: object) -> bool:
    if condition.present is not None:
        given = value.strip() != "" if isinstance(value, str) else value is not None
        return given == condition.present
    if condition.in_ is not None:
        return value in condition.in_
    # ``equals: 1`` must not match ``True``: Python says ``1 == True``.
    same_kind = isinstance(value, bool) == isinstance(condition.equals, bool)
    return same_kind and value == condition.equals


def describe_condition(condition: Condition) -> str:
    """``student.cycle = eveil``, ``not (a or b)``: for a "depends on" column."""
    if condition.all is not None:
        return " and ".join(_grouped(c) for c in condition.all)
    if condition.any is not None:
        return " or ".join(_grouped(c) for c in condition.any)
    if condition.not_ is not None:
        return f"not {_grouped(condition.not_)}"
    if condition.present is not None:
        return f"{condition.field} is {'given' if condition.present else 'empty'}"
    if condition.in_ is not None:
        return f"{condition.field} in ({', '.join(condition.in_)})"
    return f"{condition.field} = {_scalar(condition.equals)}"


def _grouped(condition: Condition) -> str:
    text = describe_condition(condition)
    return f"({text})" if condition.all or condition.any else text


def _scalar(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@dataclass(frozen=True)
class Category:
    disciplines: tuple[str, ...]
    eveil: bool
    adult: bool
    label: str


@dataclass(frozen=True)
class FieldItem:
    field: str
    label: str
    required: bool
    format: str | None
    depends_on: str | None = None


@dataclass(frozen=True)
class DocumentItem:
    name: str
    label: str
    level: str
    alternatives: tuple[str, ...]
    deferred: str | None
    depends_on: str | None = None


@dataclass(frozen=True)
class AnswerItem:
    name: str
    label: str
    detail: str
    depends_on: str | None = None


@dataclass(frozen=True)
class RequirementRow:
    category: Category
    fields: tuple[FieldItem, ...]
    documents: tuple[DocumentItem, ...]
    answers: tuple[AnswerItem, ...]


def requirement_rows(campaign: Campaign) -> list[RequirementRow]:
    """Minors, then éveil pupils, then adults; disciplines that need the same share a row."""
    catalog = campaign.catalog
    others = frozenset(c for c in catalog.cycles if c != EVEIL)
    kinds = [(False, False, others), (True, False, frozenset({EVEIL}) & set(catalog.cycles))]
    kinds.append((False, True, others))
    merged: dict[_Needs, list[str]] = {}
    for eveil, adult, cycles in kinds:
        for discipline in catalog.disciplines if cycles else []:
            facts: Facts = {
                "student.discipline": frozenset({discipline}),
                "student.cycle": frozenset(cycles),
                "student.adult": frozenset({adult}),
            }
            needs = (
                eveil,
                adult,
                _fields(campaign, facts),
                _documents(campaign, facts),
                _answers(campaign, facts),
            )
            merged.setdefault(needs, []).append(discipline)
    rows = []
    for (eveil, adult, fields, documents, answers), disciplines in merged.items():
        names = ", ".join(catalog.discipline_labels.get(d, d) for d in disciplines)
        kind = "éveil" if eveil else "adult" if adult else "minor"
        category = Category(tuple(disciplines), eveil, adult, f"{names} — {kind}")
        rows.append(RequirementRow(category, fields, documents, answers))
    return rows


_Needs = tuple[bool, bool, tuple[FieldItem, ...], tuple[DocumentItem, ...], tuple[AnswerItem, ...]]


def _applies(condition: Condition | None, facts: Facts) -> tuple[bool, str | None]:
    """Whether an item is shown, and the condition left to check if it depends."""
    if condition is None:
        return True, None
    result = evaluate(condition, facts)
    return result is not False, (describe_condition(condition) if result is None else None)


def _fields(campaign: Campaign, facts: Facts) -> tuple[FieldItem, ...]:
    requirements = campaign.requirements
    items = []
    for requirement in requirements.fields:
        shown, depends_on = _applies(requirement.when, facts)
        if shown:
            label = requirement.label or requirement.field
            fmt = requirements.formats.get(requirement.field)
            items.append(FieldItem(requirement.field, label, True, fmt, depends_on))
    required = {r.field for r in requirements.fields}
    for field, fmt in requirements.formats.items():
        if field not in required:
            items.append(FieldItem(field, field, False, fmt))
    return tuple(items)


def _documents(campaign: Campaign, facts: Facts) -> tuple[DocumentItem, ...]:
    items = []
    for name, requirement in campaign.requirements.documents.items():
        shown, depends_on = _applies(requirement.when, facts)
        if not shown:
            continue
        alternatives = tuple(_alternative(campaign, accepted) for accepted in requirement.accepts)
        deferred = requirement.deferred
        later = f"due {deferred.due.isoformat()}: {deferred.note}" if deferred else None
        level = str(requirement.level)
        items.append(DocumentItem(name, requirement.label, level, alternatives, later, depends_on))
    return tuple(items)


def _alternative(campaign: Campaign, accepted: AcceptedDocument) -> str:
    kind = campaign.document_kinds.get(accepted.kind)
    constraints = [
        f"{what} {value}"
        for what, value in (
            ("valid from", accepted.valid_from),
            ("valid until", accepted.valid_until),
            ("tax year", accepted.tax_year),
            ("income year", accepted.income_year),
            ("issued on or after", accepted.issued_on_or_after),
        )
        if value is not None
    ]
    if accepted.max_age_days is not None:
        constraints.append(f"at most {accepted.max_age_days} days old")
    if accepted.signed:
        constraints.append("signed")
    label = kind.label if kind else accepted.kind
    return f"{label} ({', '.join(constraints)})" if constraints else label


def _answers(campaign: Campaign, facts: Facts) -> tuple[AnswerItem, ...]:
    answers = campaign.answers
    items = [
        AnswerItem(
            "remarks",
            answers.remarks.label,
            f"free text, up to {answers.remarks.max_length} characters",
        ),
        AnswerItem("intent", answers.intent.label, _required(answers.intent.required)),
    ]
    if answers.preferences is not None:
        prefs = answers.preferences
        shown, depends_on = _applies(prefs.when, facts)
        most = prefs.max_choices or len(prefs.choices)
        detail = f"{prefs.min_choices} to {most} ranked choices among {len(prefs.choices)}"
        if shown:
            items.append(AnswerItem("preferences", prefs.label, detail, depends_on))
    if answers.support is not None:
        support = answers.support
        items.append(AnswerItem("support", support.label, f"follow-up: {support.follow_up}"))
    return tuple(items)


def _required(required: bool) -> str:
    return "required" if required else "optional"
