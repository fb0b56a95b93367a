"""The pupil's answers as given on the command line, checked against the campaign. Pure.

``--continue yes|no`` is the « Réinscription administrative » box (intent),
``--preferences "violon,piano"`` the éveil ranking (matched to the campaign's
labels, case and accents ignored), ``--remarks`` the « information
complémentaire » (at most ``answers.remarks.max_length`` characters, line feeds but
no other control or bidirectional character: ``engine.texts``) and
``--support yes|no`` the request for special support.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from dacapo.campaigns.schema import Campaign
from dacapo.engine.corrections import fold
from dacapo.engine.errors import BadInput
from dacapo.engine.texts import checked_text
from dacapo.rules.french import quoted

_YES = frozenset({"yes", "y", "oui", "o", "true"})
_NO = frozenset({"no", "n", "non", "false"})


@dataclass(frozen=True)
class AnswerInput:
    """What to change; ``None`` leaves an answer as it is."""

    intent: bool | None = None
    remarks: str | None = None
    preferences: tuple[str, ...] | None = None
    support_requested: bool | None = None

    @property
    def empty(self) -> bool:
        return all(
            value is None
            for value in (self.intent, self.remarks, self.preferences, self.support_requested)
        )


def yes_no(value: str | None, option: str) -> bool | None:
    if value is None:
        return None
    answer = value.strip().casefold()
    if answer in _YES:
        return True
    if answer in _NO:
        return False
    raise BadInput(f"{option} {value!r}: answer yes or no")


def preferences(campaign: Campaign, text: str) -> tuple[str, ...]:
    """``"violon, piano"`` → ``("Violon", "Piano")``: known, distinct, not too many."""
    spec = campaign.answers.preferences
    if spec is None:
        raise BadInput(f"Campaign {campaign.id} asks for no preferences")
    given = [part.strip() for part in text.split(",") if part.strip()]
    canonical = {fold(choice): choice for choice in spec.choices}
    unknown = [p for p in given if fold(p) not in canonical]
    if unknown:
        names = ", ".join(quoted(p) for p in unknown)
        raise BadInput(
            f"--preferences: choix inconnu {names}; au choix : {', '.join(spec.choices)}"
        )
    chosen = tuple(canonical[fold(p)] for p in given)
    repeated = [p for p, n in Counter(chosen).items() if n > 1]
    if repeated:
        names = ", ".join(quoted(p) for p in repeated)
        raise BadInput(f"--preferences: choix répété {names} : chaque choix ne compte qu'une fois")
    if spec.max_choices is not None and len(chosen) > spec.max_choices:
        raise BadInput(f"--preferences: au plus {spec.max_choices} choix ({len(chosen)} donnés)")
    return chosen


def remarks(campaign: Campaign, text: str) -> str:
    limit = campaign.answers.remarks.max_length
    text = text.strip()
    if len(text) > limit:
        label = campaign.answers.remarks.label
        raise BadInput(f"--remarks: {label} : au plus {limit} caractères ({len(text)} donnés)")
    return checked_text(text, "--remarks", limit=limit, lines=True)


def answer_input(
    campaign: Campaign,
    *,
    intent: str | None = None,
    remarks_text: str | None = None,
    preferences_text: str | None = None,
    support: str | None = None,
) -> AnswerInput:
    """The options of ``dacapo dossier answer``, checked; at least one must be given."""
    given = AnswerInput(
        intent=yes_no(intent, "--continue"),
        remarks=None if remarks_text is None else remarks(campaign, remarks_text),
        preferences=None if preferences_text is None else preferences(campaign, preferences_text),
        support_requested=yes_no(support, "--support"),
    )
    if given.empty:
        raise BadInput("Nothing to answer: give --continue, --preferences, --remarks or --support")
    return given
