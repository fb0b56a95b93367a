"""Corrections to a dossier's details: ``FIELD=VALUE`` read and checked. Pure.

A field is named as in the rules' catalogue (``rules.fields.FIELDS``), guardians
by position: ``family.postcode``, ``guardian1.mobile``, ``guardian2.email``,
``student.school``. Each value goes through the rules' own checks: mobiles are
read by ``parse_fr_mobile`` and kept as E.164, dates are read strictly
(``JJ/MM/AAAA`` or ``AAAA-MM-JJ``), vocabularies are matched to the campaign's
names, text kept as typed holds no control or bidirectional character
(``engine.texts``; 200 characters at most, 254 for an email), then the format the
campaign names for the field (``FORMATS``) judges the value. A refused value is bad
input (``BadInput``, exit 2).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from dacapo.campaigns.schema import Campaign
from dacapo.engine.errors import BadInput
from dacapo.engine.texts import MAX_EMAIL, MAX_LINE, checked_text
from dacapo.rules.fields import FIELDS, STUDENT_STATUSES
from dacapo.rules.formats import FORMATS, parse_fr_mobile
from dacapo.rules.french import quoted

Value = str | dt.date | None
DERIVED = frozenset({"student.adult"})
_TARGET = re.compile(r"^(family|student|guardian([1-9][0-9]?))\.([a-z_]+)$")
_ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_FRENCH_DAY = re.compile(r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$")


def fold(text: str) -> str:
    """Lower case, accents and ligatures removed: ``Éveil Œuvre`` → ``eveil oeuvre``."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class Target:
    """One correctable field: ``scope`` family, guardian (with ``position``) or student."""

    scope: str
    name: str
    position: int | None = None

    @property
    def path(self) -> str:
        """The catalogue's path: ``guardian.mobile`` for ``guardian2.mobile``."""
        return f"{self.scope}.{self.name}"

    def __str__(self) -> str:
        return f"{self.scope}{self.position or ''}.{self.name}"


def updatable_fields() -> list[str]:
    return [path for path in FIELDS if path not in DERIVED]


def parse_target(text: str) -> Target:
    match = _TARGET.match(text.strip())
    path = f"{match.group(1).rstrip('0123456789')}.{match.group(3)}" if match else ""
    if match is None or path not in FIELDS or path in DERIVED:
        known = ", ".join(p.replace("guardian.", "guardianN.") for p in updatable_fields())
        raise BadInput(f"Unknown field {text.strip()!r}; correctable fields: {known}")
    position = int(match.group(2)) if match.group(2) else None
    scope = "guardian" if position else match.group(1)
    return Target(scope, match.group(3), position)


def parse_day(text: str, what: str = "Date") -> dt.date:
    """``31/05/2023`` or ``2023-05-31``, and nothing else."""
    text = text.strip()
    try:
        if _ISO_DAY.match(text):
            return dt.date.fromisoformat(text)
        if _FRENCH_DAY.match(text):
            return dt.datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        pass
    raise BadInput(f"{what} invalide : {quoted(text)} (JJ/MM/AAAA ou AAAA-MM-JJ)")


def _vocabulary(campaign: Campaign, kind: str) -> dict[str, str]:
    """Folded spelling → canonical value, labels included (``Éveil`` → ``eveil``)."""
    catalog = campaign.catalog
    names: dict[str, list[str] | tuple[str, ...]] = {
        "disciplines": catalog.disciplines,
        "cycles": catalog.cycles,
        "instruments": catalog.instruments,
        "status": STUDENT_STATUSES,
    }
    labels = {"disciplines": catalog.discipline_labels, "cycles": catalog.cycle_labels}
    found = {fold(label): name for name, label in labels.get(kind, {}).items()}
    found.update({fold(name): name for name in names[kind]})
    return found


def required_paths(campaign: Campaign) -> set[str]:
    return {requirement.field for requirement in campaign.requirements.fields}


def parse_value(campaign: Campaign, target: Target, text: str, now: dt.datetime) -> Value:
    """The value to store for ``target``, or ``BadInput`` with the rules' sentence."""
    text = text.strip()
    label = FIELDS[target.path].label
    if not text:
        if target.path in required_paths(campaign):
            raise BadInput(f"{target}: {label} est obligatoire : il ne peut pas être vidé")
        return None
    limit = MAX_EMAIL if target.name == "email" else MAX_LINE
    if len(text) > limit:
        raise BadInput(f"{target}: too long: {len(text):,} characters, at most {limit}")
    value: Value = text
    vocabulary = FIELDS[target.path].vocabulary
    if target.name == "mobile":
        try:
            value = parse_fr_mobile(text)
        except ValueError as error:
            raise BadInput(f"{target}: {error}") from None
    elif target.name == "birth_date":
        value = parse_day(text, f"{target}: Date de naissance")
    elif vocabulary is not None:
        known = _vocabulary(campaign, vocabulary)
        if fold(text) not in known:
            choices = ", ".join(dict.fromkeys(known.values()))
            raise BadInput(f"{target}: valeur inconnue {quoted(text)} (au choix : {choices})")
        value = known[fold(text)]
    else:  # kept as typed: no control or bidirectional character, one line but the address
        value = checked_text(text, str(target), limit=limit, lines=target.path == "family.address")
    format_name = campaign.requirements.formats.get(target.path)
    if format_name is not None:
        problem = FORMATS[format_name](value, campaign, now)
        if problem is not None:
            raise BadInput(f"{target}: {problem}")
    return value


def parse_assignments(
    campaign: Campaign, assignments: list[str], now: dt.datetime
) -> list[tuple[Target, Value]]:
    """``["guardian1.mobile=06 98 76 54 32", ...]`` → targets and checked values.

    Every assignment is read before any is refused, so all problems show at once.
    """
    if not assignments:
        raise BadInput("Nothing to update: give --set FIELD=VALUE")
    parsed: list[tuple[Target, Value]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for assignment in assignments:
        field, sep, text = assignment.partition("=")
        try:
            if not sep:
                raise BadInput(f"--set {assignment!r}: write FIELD=VALUE")
            target = parse_target(field)
            if str(target) in seen:
                raise BadInput(f"{target}: given twice")
            seen.add(str(target))
            parsed.append((target, parse_value(campaign, target, text, now)))
        except BadInput as error:
            problems.append(str(error))
    if problems:
        raise BadInput("\n".join(problems))
    return parsed


@dataclass(frozen=True)
class FieldChange:
    """One value changed, as the audit trail tells it: ``field: before → after``."""

    field: str
    before: object
    after: object

    def __str__(self) -> str:
        return f"{self.field}: {shown(self.before)} → {shown(self.after)}"


def shown(value: object) -> str:
    if value is None or value == "" or value == ():
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


def audit_reason(changes: list[FieldChange], reason: str | None) -> str:
    """The audit row's reason: every change, then the reason given, if any."""
    text = "; ".join(str(change) for change in changes)
    reason = (reason or "").strip()
    return f"{text} — {reason}" if reason else text
