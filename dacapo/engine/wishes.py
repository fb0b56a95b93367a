"""A new pupil's wishes as registered at the desk: plain pydantic models, no ORM.

``read_wish`` validates the command's input on its own (names in NFC,
references, email syntax, French mobile in E.164, postcode, birth date,
ranked preferences without repeats); ``fit_campaign`` then checks it against
the campaign (a window for new pupils, the catalogue's disciplines and cycles,
the preference choices, a plausible age) and returns the canonical spelling.
Both raise ``BadInput`` with one line per problem, named by command option.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from dacapo.campaigns.schema import Campaign
from dacapo.campaigns.windows import format_local, is_open, window_interval
from dacapo.engine.errors import BadInput
from dacapo.engine.imports import cells, contacts
from dacapo.rules.formats import check_birth_date
from dacapo.rules.french import quoted


def _clean(value: Any) -> Any:
    """Strip and NFC-normalise text; empty text is no value."""
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFC", value).strip()
    return text or None


def _date(value: Any) -> Any:
    value = _clean(value)
    return cells.birth_date(value) if isinstance(value, str) else value


def _optional(check: Callable[[str], str]) -> Callable[[str | None], str | None]:
    return lambda value: None if value is None else check(value)


Clean = BeforeValidator(_clean)
Name = Annotated[str, Clean, AfterValidator(cells.name)]
Ref = Annotated[str, Clean, AfterValidator(cells.ref)]
Text = Annotated[str, Clean, AfterValidator(cells.text)]
Email = Annotated[str, Clean, AfterValidator(contacts.email)]
BirthDate = Annotated[dt.date, BeforeValidator(_date)]
# Optional values: empty text is no value.
MaybeText = Annotated[str | None, Clean, AfterValidator(_optional(cells.text))]
MaybeMobile = Annotated[str | None, Clean, AfterValidator(_optional(contacts.mobile))]
MaybePostcode = Annotated[str | None, Clean, AfterValidator(_optional(cells.postcode))]

OPTIONS = {
    "site": "--site",
    "window": "--window",
    "family_ref": "--family-ref",
    "guardians": "--guardian",
    "address": "--address",
    "postcode": "--postcode",
    "city": "--city",
    "student_ref": "--student-ref",
    "last_name": "--last-name",
    "first_name": "--first-name",
    "birth_date": "--birth-date",
    "discipline": "--discipline",
    "cycle": "--cycle",
    "preferences": "--preferences",
}
GUARDIAN_PARTS = ("last_name", "first_name", "email", "mobile")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GuardianWish(Model):
    """One ``--guardian "Last;First;email;mobile"`` (the mobile may be left out)."""

    last_name: Name
    first_name: Name
    email: Email
    mobile: MaybeMobile = None


class Wish(Model):
    site: Ref
    window: Ref
    family_ref: Ref
    guardians: list[GuardianWish] = []
    address: MaybeText = None
    postcode: MaybePostcode = None
    city: MaybeText = None
    student_ref: Ref
    last_name: Name
    first_name: Name
    birth_date: BirthDate
    discipline: MaybeText = None
    cycle: MaybeText = None
    preferences: list[Text]


def split_guardian(text: str) -> dict[str, str]:
    parts = [p.strip() for p in text.split(";")]
    if not 3 <= len(parts) <= 4:
        raise BadInput(f'--guardian {text!r}: write "Last;First;email;mobile" (mobile optional)')
    return dict(zip(GUARDIAN_PARTS, parts, strict=False))


def split_preferences(text: str) -> list[str]:
    """``"Violon, Piano"`` → ``["Violon", "Piano"]`` (ranked, first is preferred)."""
    return [p for p in (_clean(part) for part in text.split(",")) if p]


def read_wish(data: dict[str, Any]) -> Wish:
    """Validate the raw input; BadInput lists every problem as ``--option: message``."""
    try:
        wish = Wish.model_validate(data)
    except ValidationError as error:
        raise BadInput("\n".join(_problem(item) for item in error.errors())) from None
    problems = []
    if not wish.preferences:
        problems.append("--preferences: give at least one wish, e.g. 'Violon,Piano'")
    repeated = sorted({p for p in wish.preferences if _count(wish.preferences, p) > 1})
    if repeated:
        problems.append(f"--preferences: each wish once ({', '.join(repeated)} repeated)")
    emails = [g.email.casefold() for g in wish.guardians]
    if len(set(emails)) != len(emails):
        problems.append("--guardian: the same email is given twice")
    if problems:
        raise BadInput("\n".join(problems))
    return wish


def _count(items: list[str], item: str) -> int:
    return sum(1 for other in items if other.casefold() == item.casefold())


def _problem(item: Any) -> str:
    loc = list(item["loc"])
    option = OPTIONS.get(str(loc[0]), str(loc[0])) if loc else "input"
    where = option
    if loc[:1] == ["guardians"] and len(loc) >= 2:
        where = f"--guardian #{int(loc[1]) + 1}" + (f" {loc[2]}" if len(loc) > 2 else "")
    message = str(item["msg"]).removeprefix("Value error, ")
    if item["type"] == "missing" or item.get("input", "") is None:
        message = "required"
    return f"{where}: {message}"


def fit_campaign(wish: Wish, campaign: Campaign, now: dt.datetime) -> Wish:
    """``wish`` in the campaign's spelling; BadInput unless it fits the campaign."""
    problems: list[str] = []
    new_windows = [name for name, w in campaign.windows.items() if w.pupils == "new"]
    if wish.window not in new_windows:
        listed = ", ".join(new_windows) or "none"
        problems.append(
            f"--window: {wish.window!r} is not a new-pupil window of {campaign.id} "
            f"(new-pupil windows: {listed})"
        )
    changes: dict[str, Any] = {}
    for field, kind, codes in (
        ("discipline", "discipline", campaign.catalog.disciplines),
        ("cycle", "cycle", campaign.catalog.cycles),
    ):
        value = getattr(wish, field)
        if value is not None:
            try:
                changes[field] = cells.Vocabulary(kind, codes)(value)
            except ValueError as error:
                problems.append(f"{OPTIONS[field]}: {error}")
    spec = campaign.answers.preferences
    if spec is not None:
        choices = cells.Vocabulary("wish", spec.choices)
        try:
            ranked = [choices(p) for p in wish.preferences]
        except ValueError as error:
            problems.append(f"--preferences: {error}")
        else:
            if len(set(ranked)) != len(ranked):
                problems.append(f"--preferences: each wish once ({', '.join(ranked)})")
            changes["preferences"] = ranked
        if spec.max_choices is not None and len(wish.preferences) > spec.max_choices:
            problems.append(f"--preferences: at most {spec.max_choices} wishes")
    too_odd = check_birth_date(wish.birth_date, campaign, now)
    if too_odd:
        problems.append(f"--birth-date: {too_odd}")
    if problems:
        raise BadInput("\n".join(problems))
    return wish.model_copy(update=changes)


def window_refusal(
    campaign: Campaign, window_name: str, now: dt.datetime, *, staff: bool, reason: str | None
) -> str | None:
    """Why wishes cannot be registered at ``now``, or None: the window is open, or
    staff give a reason."""
    if is_open(campaign, window_name, now) or (staff and reason and reason.strip()):
        return None
    window = campaign.windows[window_name]
    interval = window_interval(campaign, window)
    zone = campaign.zone
    opens = format_local(interval.start, zone)
    closes = format_local(interval.end - dt.timedelta(microseconds=1), zone)
    situation = "n'est pas encore ouverte" if now < interval.start else "est close"
    return (
        f"La période {quoted(window.label)} va du {opens} au {closes} ({campaign.timezone}) : "
        f"le {format_local(now, zone)}, elle {situation}. Le personnel peut enregistrer les "
        "vœux hors période en indiquant un motif (--reason)."
    )
