"""One ``transitions`` machine per workflow definition, built once and cached.

Events are fired on a small plain object holding only the state, never on an
ORM row and never with ``add_model`` (see DESIGN.md, library notes).
"""

from __future__ import annotations

from dataclasses import dataclass

from transitions import Machine, MachineError

from dacapo.campaigns.schema import TransitionSpec, Workflow
from dacapo.engine.errors import TransitionNotAllowed


@dataclass
class _Token:
    """What the machine moves: a state, nothing else."""

    state: str


class WorkflowMachine:
    """A workflow compiled into a ``transitions.Machine`` (no model attached)."""

    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self._machine = Machine(
            model=None,
            states=list(workflow.states),
            initial=workflow.initial,
            transitions=[
                {"trigger": t.event, "source": workflow.sources(t), "dest": t.to}
                for t in workflow.transitions
            ],
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )
        self._specs: dict[tuple[str, str], TransitionSpec] = {
            (t.event, source): t for t in workflow.transitions for source in workflow.sources(t)
        }

    def allowed_events(self, state: str) -> list[str]:
        return [event for (event, source) in self._specs if source == state]

    def transition(self, state: str, event: str) -> TransitionSpec:
        """The transition ``event`` takes from ``state``, or TransitionNotAllowed."""
        spec = self._specs.get((event, state))
        if spec is None:
            raise TransitionNotAllowed(event, state, self.allowed_events(state))
        return spec

    def next_state(self, state: str, event: str) -> str:
        """Run the machine on ``state`` and return where ``event`` leads."""
        self.transition(state, event)
        token = _Token(state)
        try:
            moved = self._machine.events[event].trigger(token)
        except MachineError:
            raise TransitionNotAllowed(event, state, self.allowed_events(state)) from None
        if not moved:  # a failed condition answers False instead of raising
            raise TransitionNotAllowed(event, state, self.allowed_events(state))
        return token.state


_CACHE: dict[tuple[str, int, str, str], WorkflowMachine] = {}
# The same (frozen) workflow object asks again at every fire: found by identity first,
# the object kept beside its machine so that its id cannot be reused by another.
_BY_OBJECT: dict[int, tuple[Workflow, WorkflowMachine]] = {}


def machine_for(campaign_id: str, version: int, name: str, workflow: Workflow) -> WorkflowMachine:
    """The machine of one workflow of one campaign version, built on first use.

    Keyed on the workflow's content too (its JSON): two databases may hold
    different definitions under one campaign id and version, and each must be judged
    with its own transitions (who may act, guards, messages).
    """
    known = _BY_OBJECT.get(id(workflow))
    if known is not None and known[0] is workflow:
        return known[1]
    key = (campaign_id, version, name, workflow.model_dump_json())
    machine = _CACHE.get(key)
    if machine is None:
        machine = _CACHE[key] = WorkflowMachine(workflow)
    _BY_OBJECT[id(workflow)] = (workflow, machine)
    return machine
