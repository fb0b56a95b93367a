"""What a dossier still needs: the next step and the whole remaining path.

``dacapo dossier check`` prints this; reminders filter it by item.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from dacapo.campaigns.schema import Campaign, TransitionSpec, Workflow
from dacapo.campaigns.windows import require_aware
from dacapo.rules.documents import documents_present
from dacapo.rules.findings import Finding, GuardContext, Status
from dacapo.rules.registry import GUARDS
from dacapo.rules.snapshot import DossierSnapshot

# A checklist is read by or for the family: who acts is judged when they act.
NOT_IN_CHECKLIST = frozenset({"actor_allowed"})
FIXED_ITEMS = frozenset({"fields", "formats", "intent", "house_rules", "window", "actor"})


@dataclass(frozen=True)
class Checklist:
    next_event: str | None
    next_step: list[Finding]
    whole: list[Finding]

    @property
    def unmet(self) -> list[Finding]:
        return [f for f in self.whole if f.status is Status.UNMET]

    @property
    def deferred(self) -> list[Finding]:
        return [f for f in self.whole if f.status is Status.DEFERRED]

    @property
    def met(self) -> list[Finding]:
        return [f for f in self.whole if f.status is Status.MET]

    @property
    def complete(self) -> bool:
        return not self.unmet


def evaluate(guard_names: Iterable[str], ctx: GuardContext) -> list[Finding]:
    """The findings of the named guards, in order (an unknown name is a KeyError)."""
    return [finding for name in guard_names for finding in GUARDS[name](ctx)]


def success_path(workflow: Workflow, state: str) -> list[TransitionSpec]:
    """The shortest run of ordinary transitions from ``state`` to ``workflow.success``.

    Transitions that need a reason or reopen a dossier are staff corrections,
    never a step a family is asked to take. Ties go to the file's order.
    """
    usable = [t for t in workflow.transitions if not t.reason_required and not t.reopen]
    came_from: dict[str, tuple[str, TransitionSpec] | None] = {state: None}
    queue = deque([state])
    while queue:
        current = queue.popleft()
        if current == workflow.success:
            break
        for transition in usable:
            if current in workflow.sources(transition) and transition.to not in came_from:
                came_from[transition.to] = (current, transition)
                queue.append(transition.to)
    if workflow.success not in came_from:
        return []
    path: list[TransitionSpec] = []
    node = workflow.success
    while (step := came_from[node]) is not None:
        node, transition = step
        path.append(transition)
    return path[::-1]


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    seen: set[tuple[str, str | None]] = set()
    kept: list[Finding] = []
    for finding in findings:
        if (finding.code, finding.subject) not in seen:
            seen.add((finding.code, finding.subject))
            kept.append(finding)
    return kept


def checklist(campaign: Campaign, snapshot: DossierSnapshot, now: dt.datetime) -> Checklist:
    """Where the dossier stands against every guard still ahead of it.

    A confirmed dossier (the workflow's success) still lists its deferred
    documents; any other final state lists nothing.
    """
    now = require_aware(now)
    workflow = campaign.workflows[snapshot.workflow]
    if snapshot.state in workflow.final:
        if snapshot.state != workflow.success:
            return Checklist(None, [], [])
        ctx = GuardContext(campaign, snapshot, now)
        later = [f for f in documents_present(ctx) if f.status is Status.DEFERRED]
        return Checklist(None, [], later)
    path = success_path(workflow, snapshot.state)
    if not path:
        return Checklist(None, [], [])
    judged: dict[str, list[Finding]] = {}
    for transition in path:
        ctx = GuardContext(campaign, snapshot, now, transition=transition)
        for name in transition.guards:
            if name not in NOT_IN_CHECKLIST and name not in judged:
                judged[name] = evaluate([name], ctx)
    first = path[0]
    next_step = _unique(f for name in first.guards if name in judged for f in judged[name])
    whole = _unique(f for findings in judged.values() for f in findings)
    return Checklist(first.event, next_step, whole)


def requirement_items(campaign: Campaign) -> set[str]:
    """The item names a reminder's ``missing:`` may list."""
    items = set(FIXED_ITEMS) | set(campaign.requirements.documents)
    if campaign.answers.preferences is not None:
        items.add("preferences")
    return items
