"""A site's current campaigns, and the dossiers a family's evidence concerns.

- The *latest* campaign of a site is its most recently loaded campaign version:
  its ``document_kinds`` and windows are the ones commands check input against.
- The *current* campaigns of a site are those of the school year of that latest
  version (a site may run several campaigns in one year).
- A document concerns the dossiers of its pupil (a student-level document) or
  of every pupil of the family (a family-level one) in the current campaigns,
  in any state: their audit trails record it, final dossiers included (the
  dance certificate arrives after confirmation).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from dacapo.campaigns.schema import Campaign
from dacapo.engine.errors import NotFound
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.tables import CampaignVersion, Dossier, Student


def latest_site_campaign(session: Session, site_code: str) -> tuple[CampaignVersion, Campaign]:
    """The site's most recently loaded campaign version and its definition, or NotFound."""
    row = session.exec(
        select(CampaignVersion)
        .where(CampaignVersion.site_code == site_code)
        .order_by(col(CampaignVersion.loaded_at).desc(), col(CampaignVersion.id).desc())
    ).first()
    if row is None:
        raise NotFound(f"No campaign loaded for site {site_code!r} (run `dacapo campaign load`)")
    return row, definition(session, row.campaign_id, row.version)


def latest_campaign(session: Session, campaign_id: str) -> tuple[CampaignVersion, Campaign]:
    """The latest version of one campaign and its definition, or NotFound naming the
    campaigns loaded."""
    row = session.exec(
        select(CampaignVersion)
        .where(CampaignVersion.campaign_id == campaign_id)
        .order_by(col(CampaignVersion.version).desc())
    ).first()
    if row is None:
        known = session.exec(
            select(CampaignVersion.campaign_id).distinct().order_by(CampaignVersion.campaign_id)
        )
        names = ", ".join(known) or "none (dacapo campaign load FILE)"
        raise NotFound(f"No campaign {campaign_id!r}; loaded campaigns: {names}")
    return row, definition(session, row.campaign_id, row.version)


def definition(session: Session, campaign_id: str, version: int) -> Campaign:
    """A campaign version's definition, parsed once per process (the engine port's cache)."""
    return SqlDossierStore(session).campaign(campaign_id, version)


def current_campaign_ids(session: Session, site_code: str) -> list[str]:
    """The campaigns of the school year of the site's latest campaign version."""
    latest, _ = latest_site_campaign(session, site_code)
    ids = session.exec(
        select(CampaignVersion.campaign_id)
        .where(CampaignVersion.site_code == site_code)
        .where(CampaignVersion.school_year == latest.school_year)
        .distinct()
    ).all()
    return sorted(ids)


def concerned_dossiers(
    session: Session, site_code: str, family_id: int, student_id: int | None
) -> list[Dossier]:
    """The current dossiers a document concerns: its pupil's, or all the family's pupils'.

    Locked (``FOR UPDATE`` on PostgreSQL; SQLite writers are serialised anyway)
    and read afresh, so that an audit row written on them records their state.
    """
    if student_id is not None:
        students: Sequence[int] = [student_id]
    else:
        students = [
            s
            for s in session.exec(select(Student.id).where(Student.family_id == family_id)).all()
            if s is not None
        ]
    if not students:
        return []
    campaigns = current_campaign_ids(session, site_code)
    return list(
        session.exec(
            select(Dossier)
            .where(col(Dossier.student_id).in_(students))
            .where(col(Dossier.campaign_id).in_(campaigns))
            .order_by(col(Dossier.id))
            .with_for_update()  # their audit rows must follow their current state
            .execution_options(populate_existing=True)
        ).all()
    )
