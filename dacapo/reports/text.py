"""How the report writes numbers, dates and contacts for French staff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from dacapo.reports.model import Guardian


def percent(value: float | None) -> str:
    """``0.425`` → ``42,5 %`` (narrow no-break space before ``%``); None → ``—``."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}".replace(".", ",") + "\u202f%"


def day(value: dt.date) -> str:
    """``24/05/2023``."""
    return value.strftime("%d/%m/%Y")


def instant(value: dt.datetime) -> str:
    """``15/05/2023 à 10:00`` (the instant is already in the campaign's zone)."""
    return value.strftime("%d/%m/%Y à %H:%M")


def guardian_line(guardian: Guardian) -> str:
    """``Anne Durand 06 12 34 56 78``, or the e-mail address when there is no mobile."""
    reach = guardian.phone or guardian.email or "sans numéro"
    return f"{guardian.name} {reach}"


def guardians_text(guardians: Iterable[Guardian], separator: str = " | ") -> str:
    return separator.join(guardian_line(g) for g in guardians)
