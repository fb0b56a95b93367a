"""One dossier in full (``dossier show`` and ``check``) and its audit history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import distinct, func
from sqlmodel import Session, col, select

from dacapo.campaigns.schema import Campaign, Workflow
from dacapo.engine.machine import machine_for
from dacapo.engine.model import DossierRecord
from dacapo.rules import Checklist, checklist
from dacapo.store.dossiers import get_dossier
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.tables import AuditRow, Dossier


@dataclass(frozen=True)
class DossierDetail:
    """A dossier, its campaign, where it stands and what it may do next."""

    record: DossierRecord
    campaign: Campaign
    allowed_events: list[str]
    checklist: Checklist

    @property
    def workflow(self) -> Workflow:
        return self.campaign.workflows[self.record.snapshot.workflow]

    @property
    def state_label(self) -> str:
        state = self.record.snapshot.state
        spec = self.workflow.states.get(state)
        return spec.label if spec is not None else state


def dossier_detail(session: Session, ref: str, now: dt.datetime) -> DossierDetail:
    store = SqlDossierStore(session)
    record = store.dossier(ref)
    campaign = store.campaign(record.campaign_id, record.campaign_version)
    name = record.snapshot.workflow
    workflow = campaign.workflows[name]
    machine = machine_for(campaign.id, record.campaign_version, name, workflow)
    return DossierDetail(
        record=record,
        campaign=campaign,
        allowed_events=machine.allowed_events(record.snapshot.state),
        checklist=checklist(campaign, record.snapshot, now),
    )


@dataclass(frozen=True)
class History:
    ref: str
    state: str
    campaign: Campaign
    rows: list[AuditRow]


def audit_history(session: Session, ref: str) -> History:
    """Every audit row of the dossier, by ``seq``, with the campaign (for its time zone)."""
    dossier = get_dossier(session, ref)
    campaign = SqlDossierStore(session).campaign(dossier.campaign_id, dossier.campaign_version)
    rows = session.exec(
        select(AuditRow).where(AuditRow.dossier_id == dossier.id).order_by(col(AuditRow.seq))
    ).all()
    return History(dossier.ref, dossier.state, campaign, list(rows))


def audit_counts(session: Session, campaign_id: str | None = None) -> tuple[int, int]:
    """How many audit rows and how many chains (dossiers with rows), for one campaign or all."""
    statement = select(func.count(), func.count(distinct(col(AuditRow.dossier_id))))
    if campaign_id is not None:
        statement = statement.join(Dossier, col(Dossier.id) == col(AuditRow.dossier_id)).where(
            col(Dossier.campaign_id) == campaign_id
        )
    rows, chains = session.exec(statement).one()
    return int(rows), int(chains)
