"""Reloading a campaign whose workflow changed: the dossiers left in removed states.

A reload is refused while a dossier's state has no place in its workflow in
the new file, unless the administrator maps the state to one that exists
(``--map OLD=NEW``). ``plan_remaps`` checks this before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Table, func, select
from sqlmodel import Session

from dacapo.campaigns.schema import Campaign
from dacapo.engine.errors import BadInput, DacapoError
from dacapo.store.tables import Dossier

DOSSIER: Table = Dossier.__table__  # type: ignore[attr-defined]
SHOWN_REFS = 5


@dataclass(frozen=True)
class Remap:
    """Dossiers of ``workflow`` in ``from_state`` go to ``to_state`` (``count`` of them)."""

    workflow: str
    from_state: str
    to_state: str
    count: int


@dataclass(frozen=True)
class Stranded:
    """Dossiers whose state the new file no longer has."""

    workflow: str
    state: str
    count: int
    first_refs: list[str]

    def __str__(self) -> str:
        more = ", …" if self.count > len(self.first_refs) else ""
        noun = "dossier" if self.count == 1 else "dossiers"
        refs = ", ".join(self.first_refs)
        return f"{self.workflow}.{self.state}: {self.count} {noun} ({refs}{more})"


class WorkflowChanged(DacapoError):
    """A reload that would leave dossiers in states that no longer exist (exit 1)."""

    def __init__(self, campaign: Campaign, stranded: Sequence[Stranded]) -> None:
        self.stranded = list(stranded)
        lines = [f"Refused: dossiers of {campaign.id} are in states the new file no longer has:"]
        lines += [f"  {s}" for s in self.stranded]
        for name in sorted({s.workflow for s in self.stranded}):
            workflow = campaign.workflows.get(name)
            if workflow is None:
                lines.append(f"Workflow {name!r} is gone from the file: restore it.")
            else:
                states = ", ".join(workflow.states)
                lines.append(f"States of {name} in the new file: {states}.")
        lines.append("Map each missing state to one of them with --map OLD=NEW.")
        super().__init__("\n".join(lines))


def plan_remaps(session: Session, campaign: Campaign, remap: dict[str, str]) -> list[Remap]:
    """The moves ``remap`` asks for; ``WorkflowChanged`` if a missing state is not covered."""
    counts = session.execute(
        select(DOSSIER.c.workflow, DOSSIER.c.state, func.count())
        .where(DOSSIER.c.campaign_id == campaign.id)
        .group_by(DOSSIER.c.workflow, DOSSIER.c.state)
        .order_by(DOSSIER.c.workflow, DOSSIER.c.state)
    ).all()
    missing = [
        (workflow, state, int(count))
        for workflow, state, count in counts
        if workflow not in campaign.workflows or state not in campaign.workflows[workflow].states
    ]
    for old, new in remap.items():
        if not any(state == old for _, state, _ in missing):
            raise BadInput(f"--map {old}={new}: no dossier is in a state {old!r} the file removed")
    plans, uncovered = [], []
    for workflow, state, count in missing:
        target = remap.get(state)
        spec = campaign.workflows.get(workflow)
        if target is None or spec is None:
            uncovered.append(
                Stranded(workflow, state, count, _first_refs(session, campaign, workflow, state))
            )
        elif target not in spec.states:
            known = ", ".join(spec.states)
            raise BadInput(f"--map {state}={target}: no state {target!r} in {workflow} ({known})")
        else:
            plans.append(Remap(workflow, state, target, count))
    if uncovered:
        raise WorkflowChanged(campaign, uncovered)
    return plans


def _first_refs(session: Session, campaign: Campaign, workflow: str, state: str) -> list[str]:
    query = (
        select(DOSSIER.c.ref)
        .where(
            DOSSIER.c.campaign_id == campaign.id,
            DOSSIER.c.workflow == workflow,
            DOSSIER.c.state == state,
        )
        .order_by(DOSSIER.c.ref)
        .limit(SHOWN_REFS)
    )
    return list(session.execute(query).scalars())
