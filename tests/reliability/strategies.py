"""What the model test draws from: families, actors, instants, reasons, events,
documents, answers. Each rule draws few values (Hypothesis costs about 0.2 ms a draw
here): who acts, why and when come as one tuple, a family as one integer."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from dacapo.engine.errors import BadInput
from tests.reliability.oracle import CLOSES, DOCUMENTS, PARIS
from tests.reliability.seeding import PUPILS, Profile

UTC = dt.UTC
TIMES = (
    dt.datetime(2023, 5, 3, 10, 0, tzinfo=PARIS),  # a week before
    dt.datetime(2023, 5, 9, 21, 59, 59, 999999, tzinfo=UTC),  # the last instant before
    dt.datetime(2023, 5, 9, 22, 0, tzinfo=UTC),  # 10 May, 00:00 in Paris: open
    dt.datetime(2023, 5, 15, 10, 0, tzinfo=PARIS),
    dt.datetime(2023, 5, 24, 21, 59, 59, 999999, tzinfo=UTC),  # the window's last microsecond
    dt.datetime(2023, 5, 24, 22, 0, tzinfo=UTC),  # 25 May, 00:00 in Paris: closed
    dt.datetime(2023, 5, 31, 21, 59, 59, 999999, tzinfo=UTC),  # last of an extension to 31 May
    dt.datetime(2023, 6, 15, 9, 0, tzinfo=PARIS),
)
ZONES = (UTC, PARIS, ZoneInfo("Asia/Kolkata"), ZoneInfo("America/New_York"))
INSTANTS = [instant.astimezone(zone) for instant in TIMES for zone in ZONES]
INSIDE = TIMES[3]
DEADLINES = (dt.date(2023, 5, 20), CLOSES, dt.date(2023, 5, 31), dt.date(2023, 6, 14))
REASON = "Dossier papier déposé à l'accueil le 24 mai"
REASONS = ("", "   ", REASON)
ACTORS = (
    "guardian", "guardian in capitals", "second guardian", "another family's guardian",
    "pupil", "sibling", "staff", "system",
)  # fmt: skip
EVENTS = (
    "verify_identity", "supply_documents", "accept_rules", "confirm", "withdraw", "lapse",
    "reject_documents", "reopen", "enrol", "promote",  # the last two: not of this workflow
)  # fmt: skip
# Answers as typed, and what they should store (BadInput: refused).
INTENTS: dict[str | None, Any] = {None: None, "oui": True, "no": False, "peut-être": BadInput}
PREFERENCES: dict[str | None, Any] = {
    None: None,
    "Violon,Piano": ("Violon", "Piano"),
    " piano ": ("Piano",),
    "": (),
    "violon, Éveil danse, chant": ("Violon", "Éveil danse", "Chant"),
    "Violon,violon": BadInput,
    "Banjo": BadInput,
    "Violon,Piano,Chant,Guitare,Trompette,Clarinette": BadInput,
}
REMARKS: dict[str | None, Any] = {
    None: None,
    "  Souhaite changer de professeur ": "Souhaite changer de professeur",
    "x" * 2001: BadInput,
}
UNKNOWN_KIND, NOT_AN_IMAGE = "passeport", b"MZ this is not a scan"
# Adding: (document, owner named by its dossier?, kind given, content no image at all?).
DOCUMENT_OPTIONS = [
    *((choice, by_dossier, choice.kind, False) for choice in DOCUMENTS for by_dossier in (0, 1)),
    (DOCUMENTS[0], False, UNKNOWN_KIND, False),
    (DOCUMENTS[6], True, "id_photo", True),
]
# At the desk: add a document, or review one (which one, the decision, by staff with a
# reason or by whoever the context says), half and half.
DESK = [
    *(("add", *option) for option in DOCUMENT_OPTIONS),
    *(
        ("review", pick, decision, by_staff)
        for pick in range(5)
        for decision in ("accept", "reject")
        for by_staff in (True, False)
    ),
]
KINDS = tuple(PUPILS)  # the child first: the simplest

contexts = st.sampled_from(list(itertools.product(ACTORS, REASONS, INSTANTS)))
answers = st.sampled_from(list(itertools.product(INTENTS, PREFERENCES, REMARKS)))
pupils = st.integers(0, 1)


def profile(number: int, pupils: int) -> Profile:
    """Family ``number`` of the mixed-radix list of families of ``pupils`` pupils.

    0, where shrinking leads, is the simplest family: a child re-enrolling, one
    guardian, complete details, documents on file, an invited dossier.
    """
    number, depth = divmod(number, 3)  # the family's facts first: drawn evenly
    number, prefilled = divmod(number, 3)
    number, complete = divmod(number, 6)
    number, second = divmod(number, 2)
    kinds, intents, preferences = [], [], []
    for _ in range(pupils):
        number, kind = divmod(number, len(KINDS))
        number, intent = divmod(number, 5)
        number, ranked = divmod(number, 3)
        kinds.append(KINDS[kind])
        intents.append((True, True, True, None, False)[intent])
        preferences.append(((), ("Violon",), ("Violon", "Piano"))[ranked])
    return Profile(
        kinds=tuple(kinds),
        intents=tuple(intents),
        preferences=tuple(preferences),
        second_guardian=second == 1,
        complete=complete < 5,
        prefilled=prefilled < 2,
        depth=depth,
    )


def profiles(pupils: int) -> st.SearchStrategy[Profile]:
    families = (len(KINDS) * 5 * 3) ** pupils * 2 * 6 * 3 * 3
    return st.integers(0, families - 1).map(lambda number: profile(number, pupils))
