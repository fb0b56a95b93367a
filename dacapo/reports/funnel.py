"""The daily funnel: dossiers per state at the end of each local day, from the audit log.

``store.report_queries.funnel_moves`` counts, per day, window and (from, to)
state, the dossiers that moved; here each move adds one to its ``to_state``
and takes one from its ``from_state`` (none for an opening), and running sums
over the days give the states' sizes from the first day with a move to the
day of ``now``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from dacapo.campaigns.schema import Campaign
from dacapo.reports.labels import (
    is_final,
    is_success,
    ordered_states,
    state_label,
    window_keys,
    window_label,
)
from dacapo.reports.model import Funnel, FunnelSeries, FunnelWindow
from dacapo.store.report_queries import Move


def daily_funnel(campaign: Campaign, moves: Sequence[Move], now: dt.datetime) -> Funnel:
    """Cumulative sums of the day's moves: dossiers per state at the end of each day."""
    if not moves:
        return Funnel((), ())
    first = min(m.day for m in moves)
    last = max(now.astimezone(campaign.zone).date(), first)
    days = tuple(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    index = {day: i for i, day in enumerate(days)}
    deltas: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for move in moves:
        for state, sign in ((move.to_state, 1), (move.from_state, -1)):
            if state is not None:
                line = deltas[move.window].setdefault(state, [0] * len(days))
                line[index[move.day]] += sign * move.dossiers
    workflows = {name: w.workflow for name, w in campaign.windows.items()}
    keys = window_keys(campaign, {(w, workflows.get(w, "")) for w in deltas})
    windows = []
    for name, workflow in keys:
        if name not in deltas:
            continue
        series = tuple(
            FunnelSeries(
                state=state,
                label=state_label(campaign, workflow, state),
                final=is_final(campaign, workflow, state),
                success=is_success(campaign, workflow, state),
                counts=_running_sum(deltas[name].get(state, [0] * len(days))),
            )
            for state in ordered_states(campaign, workflow, deltas[name])
        )
        windows.append(FunnelWindow(name, window_label(campaign, name), series))
    return Funnel(days, tuple(windows))


def _running_sum(values: Sequence[int]) -> tuple[int, ...]:
    total, out = 0, []
    for value in values:
        total += value
        out.append(total)
    return tuple(out)
