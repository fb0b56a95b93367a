"""What the loaded campaigns hold: the list, and one campaign's dossiers by state.

Counts are ``GROUP BY`` queries; states are labelled and ordered by the
campaign's latest version (a state it no longer has keeps its bare name).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Table, func, select
from sqlmodel import Session

from dacapo.campaigns.schema import Campaign
from dacapo.engine.errors import NotFound
from dacapo.store.campaign_versions import campaign_of, latest_campaign_version
from dacapo.store.tables import CampaignVersion, Dossier

VERSION: Table = CampaignVersion.__table__  # type: ignore[attr-defined]
DOSSIER: Table = Dossier.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class CampaignSummary:
    id: str
    site: str
    school_year: str
    versions: int
    latest_version: int
    loaded_at: dt.datetime
    loaded_by: str
    dossiers: int
    in_progress: int  # not in a final state
    succeeded: int  # in their workflow's success state (confirmed)


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    final: bool
    dossiers: int


@dataclass(frozen=True)
class WindowStatus:
    window: str
    label: str
    workflow: str
    dossiers: int
    states: list[StateCount]


@dataclass(frozen=True)
class CampaignStatus:
    id: str
    title: str
    version: int
    loaded_at: dt.datetime
    loaded_by: str
    dossiers: int
    windows: list[WindowStatus]


def _counts(
    session: Session, campaign_id: str | None = None
) -> list[tuple[str, str, str, str, int]]:
    """``(campaign, window, workflow, state, count)`` rows."""
    d = DOSSIER.c
    query = select(d.campaign_id, d.window, d.workflow, d.state, func.count())
    if campaign_id is not None:
        query = query.where(d.campaign_id == campaign_id)
    query = query.group_by(d.campaign_id, d.window, d.workflow, d.state)
    return [(c, win, wf, s, int(n)) for c, win, wf, s, n in session.execute(query)]


def list_campaigns(session: Session) -> list[CampaignSummary]:
    """Every loaded campaign, by site and school year."""
    query = select(VERSION.c.campaign_id, func.count()).group_by(VERSION.c.campaign_id)
    versions = {campaign_id: int(count) for campaign_id, count in session.execute(query)}
    counts = _counts(session)
    summaries = []
    for campaign_id, count in versions.items():
        latest = latest_campaign_version(session, campaign_id)
        assert latest is not None
        campaign = campaign_of(latest)
        mine = [(wf, s, n) for c, _, wf, s, n in counts if c == campaign_id]
        final = {(name, s) for name, w in campaign.workflows.items() for s in w.final}
        success = {(name, w.success) for name, w in campaign.workflows.items()}
        summaries.append(
            CampaignSummary(
                id=campaign_id,
                site=latest.site_code,
                school_year=latest.school_year,
                versions=count,
                latest_version=latest.version,
                loaded_at=latest.loaded_at,
                loaded_by=latest.loaded_by,
                dossiers=sum(n for _, _, n in mine),
                in_progress=sum(n for wf, s, n in mine if (wf, s) not in final),
                succeeded=sum(n for wf, s, n in mine if (wf, s) in success),
            )
        )
    return sorted(summaries, key=lambda s: (s.site, s.school_year, s.id))


def campaign_status(session: Session, campaign_id: str) -> CampaignStatus:
    """Dossiers per window and state, with the latest version's labels; ``NotFound``."""
    latest = latest_campaign_version(session, campaign_id)
    if latest is None:
        raise NotFound(f"No campaign {campaign_id!r} (see `dacapo campaign list`)")
    campaign = campaign_of(latest)
    counts = {(win, wf, s): n for _, win, wf, s, n in _counts(session, campaign_id)}
    pairs = [(name, w.workflow, w.label) for name, w in campaign.windows.items()]
    known = {(name, workflow) for name, workflow, _ in pairs}
    pairs += [(w, wf, w) for w, wf in sorted({(w, wf) for w, wf, _ in counts} - known)]
    windows = [_window(campaign, counts, *pair) for pair in pairs]
    return CampaignStatus(
        id=campaign_id,
        title=campaign.title,
        version=latest.version,
        loaded_at=latest.loaded_at,
        loaded_by=latest.loaded_by,
        dossiers=sum(counts.values()),
        windows=windows,
    )


def _window(
    campaign: Campaign,
    counts: dict[tuple[str, str, str], int],
    name: str,
    workflow: str,
    label: str,
) -> WindowStatus:
    spec = campaign.workflows.get(workflow)
    known = list(spec.states) if spec else []
    extra = sorted(s for win, wf, s in counts if (win, wf) == (name, workflow) and s not in known)
    states = [
        StateCount(
            state=state,
            label=spec.states[state].label if spec and state in spec.states else state,
            final=spec is not None and state in spec.final,
            dossiers=counts.get((name, workflow, state), 0),
        )
        for state in [*known, *extra]
    ]
    return WindowStatus(name, label, workflow, sum(s.dossiers for s in states), states)
