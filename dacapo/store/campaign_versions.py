"""Recording each load of a campaign file, and reading a version back."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from dacapo.campaigns.schema import Campaign
from dacapo.store.tables import CampaignVersion, Site


def ensure_site(session: Session, code: str, name: str) -> Site:
    """The site ``code``, created (and flushed) or renamed to match the campaign."""
    site = session.exec(select(Site).where(Site.code == code)).one_or_none()
    if site is None:
        site = Site(code=code, name=name)
        session.add(site)
        session.flush()  # no ORM relationships: rows referring to it may follow in this flush
    elif site.name != name:
        site.name = name
    return site


def latest_campaign_version(session: Session, campaign_id: str) -> CampaignVersion | None:
    return session.exec(
        select(CampaignVersion)
        .where(CampaignVersion.campaign_id == campaign_id)
        .order_by(col(CampaignVersion.version).desc())
    ).first()


def get_campaign_version(
    session: Session, campaign_id: str, version: int | None = None
) -> CampaignVersion | None:
    """Version ``version`` of a campaign, or its latest when None."""
    if version is None:
        return latest_campaign_version(session, campaign_id)
    return session.exec(
        select(CampaignVersion)
        .where(CampaignVersion.campaign_id == campaign_id)
        .where(CampaignVersion.version == version)
    ).one_or_none()


def save_campaign_version(
    session: Session,
    campaign: Campaign,
    *,
    source_text: str,
    sha256: str,
    loaded_by: str,
    loaded_at: dt.datetime,
) -> tuple[CampaignVersion, bool]:
    """Store a loaded campaign as its next version; ``(row, False)`` if unchanged."""
    ensure_site(session, campaign.site.code, campaign.site.name)
    latest = latest_campaign_version(session, campaign.id)
    if latest is not None and latest.sha256 == sha256:
        return latest, False
    row = CampaignVersion(
        campaign_id=campaign.id,
        version=1 if latest is None else latest.version + 1,
        site_code=campaign.site.code,
        school_year=campaign.school_year,
        sha256=sha256,
        definition=campaign.model_dump(mode="json", by_alias=True),
        source_text=source_text,
        loaded_at=loaded_at,
        loaded_by=loaded_by,
    )
    session.add(row)
    session.flush()
    return row, True


def campaign_of(row: CampaignVersion) -> Campaign:
    """The campaign definition stored in ``row``, validated again."""
    return Campaign.model_validate(row.definition)
