"""How families behave during the re-enrolment window: one persona per family.

Each persona is a habit seen at the desk every spring; the families of a
simulation are dealt personas in fixed shares (every persona at least once
when there are enough families), shuffled by the seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum


class Persona(StrEnum):
    EARLY_BIRD = "early_bird"  # does everything in the first days
    STEADY = "steady"  # details one evening, documents a few days later
    REMINDED = "reminded"  # waits for a reminder, then does everything that evening
    FORGETFUL = "forgetful"  # checks the details early, sends the documents when reminded
    WRONG_DOCUMENT = "wrong_document"  # sends last year's Quotient Familial card
    WITHDRAWN = "withdrawn"  # declares the pupils stop
    SILENT = "silent"  # never answers: lapses at the close
    REOPENED_LATE = "reopened_late"  # calls after the close; reopened with an extension
    REOPENED_LAPSED = "reopened_lapsed"  # reopened with an extension, still never finishes


@dataclass(frozen=True)
class Habit:
    persona: Persona
    share: float
    description: str
    expected: str  # the state its dossiers should end in


HABITS = (
    Habit(Persona.EARLY_BIRD, 0.22, "does everything in the first three days", "confirmed"),
    Habit(Persona.STEADY, 0.20, "details one evening, documents a few days later", "confirmed"),
    Habit(Persona.REMINDED, 0.16, "waits for a reminder, then completes", "confirmed"),
    Habit(Persona.FORGETFUL, 0.10, "checks details early, documents when reminded", "confirmed"),
    Habit(
        Persona.WRONG_DOCUMENT,
        0.08,
        "sends an expired Quotient Familial card; staff reject it; sends the tax notice",
        "confirmed",
    ),
    Habit(Persona.WITHDRAWN, 0.07, "declares the pupils stop", "withdrawn"),
    Habit(Persona.SILENT, 0.10, "never answers", "lapsed"),
    Habit(
        Persona.REOPENED_LATE,
        0.05,
        "calls after the close: reopened with an extension, completes in time",
        "confirmed",
    ),
    Habit(Persona.REOPENED_LAPSED, 0.02, "reopened with an extension, never completes", "lapsed"),
)
HABIT = {habit.persona: habit for habit in HABITS}


def deal(count: int, *, seed: int) -> list[Persona]:
    """``count`` personas in the shares above (largest remainders), shuffled by ``seed``.

    With at least as many families as personas, each persona is dealt once at least.
    """
    floor = 1 if count >= len(HABITS) else 0
    quotas = {h.persona: max(floor, int(h.share * count)) for h in HABITS}
    by_remainder = sorted(HABITS, key=lambda h: (-(h.share * count % 1), h.share))
    index = 0
    while sum(quotas.values()) < count:
        quotas[by_remainder[index % len(HABITS)].persona] += 1
        index += 1
    while sum(quotas.values()) > count:
        largest = max(HABITS, key=lambda h: (quotas[h.persona], h.share)).persona
        quotas[largest] -= 1
    dealt = [persona for habit in HABITS for persona in [habit.persona] * quotas[habit.persona]]
    random.Random(f"personas:{seed}").shuffle(dealt)
    return dealt
