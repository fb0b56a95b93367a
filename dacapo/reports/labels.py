"""What the campaign calls its states and windows, for the report (labels, order, kinds).

A state or window the latest campaign version no longer has keeps its bare name,
after the known ones.
"""

from __future__ import annotations

from collections.abc import Iterable

from dacapo.campaigns.schema import Campaign


def is_success(campaign: Campaign, workflow: str, state: str) -> bool:
    spec = campaign.workflows.get(workflow)
    return spec is not None and state == spec.success


def is_final(campaign: Campaign, workflow: str, state: str) -> bool:
    spec = campaign.workflows.get(workflow)
    return spec is not None and state in spec.final


def state_label(campaign: Campaign, workflow: str, state: str) -> str:
    spec = campaign.workflows.get(workflow)
    return spec.states[state].label if spec and state in spec.states else state


def ordered_states(campaign: Campaign, workflow: str, seen: Iterable[str]) -> list[str]:
    """The workflow's states in the file's order, then states it no longer has."""
    spec = campaign.workflows.get(workflow)
    known = list(spec.states) if spec else []
    return [*known, *sorted(set(seen) - set(known))]


def window_keys(campaign: Campaign, seen: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(window, workflow)`` in the campaign's order, then any the campaign no longer has."""
    keys = [(name, w.workflow) for name, w in campaign.windows.items()]
    return keys + sorted(set(seen) - set(keys))


def window_label(campaign: Campaign, window: str) -> str:
    spec = campaign.windows.get(window)
    return spec.label if spec else window
