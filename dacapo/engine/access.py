"""Who may correct a dossier, and when: the rules' actor and window guards, reused. Pure.

A correction is not a transition, but it is judged like one: a synthetic
transition (``update``, ``answer``, ``extend``) from the current state to
itself, by the roles allowed, through ``actor_allowed`` and ``window_open``.
Families act inside the window (or its extension for this dossier); staff may
act outside it with a reason, exactly as for ``fire``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from dacapo.campaigns.schema import Campaign, Role, TransitionSpec
from dacapo.engine.errors import GuardFailed
from dacapo.rules import evaluate
from dacapo.rules.findings import Finding, GuardContext, Status, unmet
from dacapo.rules.french import quoted
from dacapo.rules.snapshot import Actor, DossierSnapshot

FAMILY_AND_STAFF = (Role.GUARDIAN, Role.ADULT_STUDENT, Role.STAFF)
STAFF_ONLY = (Role.STAFF,)
LABELS = {
    "update": "Corriger les coordonnées",
    "answer": "Enregistrer les réponses",
    "extend": "Prolonger le délai",
}


def check_correction(
    campaign: Campaign,
    snapshot: DossierSnapshot,
    action: str,
    actor: Actor,
    *,
    now: dt.datetime,
    reason: str | None,
    by: Sequence[Role] = FAMILY_AND_STAFF,
    open_states_only: bool = False,
) -> None:
    """``GuardFailed`` with every French reason when ``actor`` may not ``action`` now."""
    transition = TransitionSpec.model_validate(
        {
            "event": action,
            "from": "*",
            "to": snapshot.state,
            "by": list(by),
            "label": LABELS.get(action),
        }
    )
    ctx = GuardContext(campaign, snapshot, now, actor, transition, reason)
    refused = unmet(evaluate(["actor_allowed", "window_open"], ctx))
    workflow = campaign.workflows[snapshot.workflow]
    if open_states_only and snapshot.state in workflow.final:
        label = workflow.states[snapshot.state].label
        message = f"Le dossier est clos ({quoted(label)}) : le rouvrir d'abord"
        refused.append(Finding("state.final", Status.UNMET, message, "state"))
    if refused:
        codes = [f.code for f in refused]
        raise GuardFailed(action, [f.message for f in refused], codes, refused)
