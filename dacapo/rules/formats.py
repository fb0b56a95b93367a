"""The closed registry of value formats that ``requirements.formats`` may name.

A format check receives a present value (an empty one is ``required_fields``'
business), the campaign and the current instant, and answers None when the
value is fine or the French sentence to read to the family.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from email_validator import EmailNotValidError, validate_email

from dacapo.campaigns.schema import Campaign
from dacapo.campaigns.windows import require_aware
from dacapo.rules.fields import FieldValue, age_on
from dacapo.rules.french import day, quoted
from dacapo.rules.phones import SMS_MESSAGE, display_fr_mobile, parse_fr_mobile

__all__ = [
    "FORMATS",
    "MAX_AGE_YEARS",
    "MIN_AGE_YEARS",
    "SMS_MESSAGE",
    "FormatCheck",
    "display_fr_mobile",
    "parse_fr_mobile",
]

MIN_AGE_YEARS = 2
MAX_AGE_YEARS = 110

FormatFn = Callable[[FieldValue, Campaign, dt.datetime], str | None]


@dataclass(frozen=True)
class FormatCheck:
    name: str
    description: str
    fn: FormatFn

    def __call__(self, value: FieldValue, campaign: Campaign, now: dt.datetime) -> str | None:
        return self.fn(value, campaign, now)


def _text(value: FieldValue) -> str:
    if isinstance(value, dt.date):
        return day(value)
    return "" if value is None else str(value).strip()


def check_fr_mobile(value: FieldValue, campaign: Campaign, now: dt.datetime) -> str | None:
    if not isinstance(value, str):
        return f"{SMS_MESSAGE} — {quoted(_text(value))} n'est pas un numéro de mobile"
    try:
        parse_fr_mobile(value)
    except ValueError as error:
        return str(error)
    return None


def check_email(value: FieldValue, campaign: Campaign, now: dt.datetime) -> str | None:
    text = _text(value)
    if isinstance(value, str) and _email_ok(text):
        return None
    return f"Adresse email invalide : {quoted(text)}"


@lru_cache(maxsize=16384)
def _email_ok(text: str) -> bool:
    """Syntax only (no network), memoised like the mobile numbers."""
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


# 01–95 for mainland départements (Corsica writes 20xxx: « 2A » is no postcode),
# 97 for the overseas départements and 98 for Monaco and the Pacific collectivities.
_POSTCODE = re.compile(r"^(?:0[1-9]|[1-8][0-9]|9[0-5]|97|98)[0-9]{3}$")


def check_fr_postcode(value: FieldValue, campaign: Campaign, now: dt.datetime) -> str | None:
    text = _text(value)
    if isinstance(value, str) and _POSTCODE.match(text):
        return None
    return f"Code postal invalide : {quoted(text)} (5 chiffres)"


def _read_date(text: str) -> dt.date:
    """``14/03/2012`` as families write it, or ``2012-03-14``."""
    try:
        return dt.datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return dt.date.fromisoformat(text)


def check_birth_date(value: FieldValue, campaign: Campaign, now: dt.datetime) -> str | None:
    """In the past (campaign's local date), and a plausible pupil's age.

    Plausible means between ``MIN_AGE_YEARS`` (2) and ``MAX_AGE_YEARS`` (110)
    years old on the first day of the school year, the day ages are judged on
    (as ``student.adult`` is).
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            value = _read_date(text)
        except ValueError:
            return f"Date de naissance invalide : {quoted(text)} (JJ/MM/AAAA)"
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        return f"Date de naissance invalide : {quoted(_text(value))} (JJ/MM/AAAA)"
    today = require_aware(now).astimezone(campaign.zone).date()
    if value > today:
        return f"Date de naissance dans le futur : {day(value)}"
    start = campaign.school_year_starts
    age = age_on(value, start)
    if age < MIN_AGE_YEARS:
        return (
            f"Date de naissance invraisemblable : {day(value)} "
            f"(moins de {MIN_AGE_YEARS} ans au {day(start)})"
        )
    if age > MAX_AGE_YEARS:
        return (
            f"Date de naissance invraisemblable : {day(value)} "
            f"(plus de {MAX_AGE_YEARS} ans au {day(start)})"
        )
    return None


FORMATS: Mapping[str, FormatCheck] = MappingProxyType(
    {
        check.name: check
        for check in (
            FormatCheck(
                "fr_mobile",
                "mobile français, 10 chiffres (métropole et outre-mer)",
                check_fr_mobile,
            ),
            FormatCheck("email", "adresse email (syntaxe seulement)", check_email),
            FormatCheck("fr_postcode", "code postal français à 5 chiffres", check_fr_postcode),
            FormatCheck("birth_date", "date de naissance passée et plausible", check_birth_date),
        )
    }
)
