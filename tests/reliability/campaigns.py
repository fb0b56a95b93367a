"""The bundled campaign, read once per process (reading it compiles every template: about
0.7 s), and versions of it with the re-enrolment window moved, stored as ``campaign load``
stores them."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib

from dacapo.campaigns.loader import LoadedCampaign
from dacapo.campaigns.schema import Campaign
from dacapo.commands.campaign import read_campaign
from dacapo.store.campaign_versions import save_campaign_version
from dacapo.store.database import Database
from tests.integration.ready_dossiers import CAMPAIGN_FILE, LOADED_AT


@functools.cache
def bundled() -> LoadedCampaign:
    return read_campaign(CAMPAIGN_FILE)


def shifted(opens: dt.date, closes: dt.date) -> Campaign:
    """The bundled campaign with its re-enrolment window moved (nothing else changed)."""
    campaign = bundled().campaign
    windows = dict(campaign.windows)
    windows["reenrolment"] = windows["reenrolment"].model_copy(
        update={"opens": opens, "closes": closes}
    )
    return campaign.model_copy(update={"windows": windows})


def load(db: Database, campaign: Campaign | None = None) -> Campaign:
    """``campaign`` (default: the bundled one, as ``load_bundled_campaign`` stores it) as the
    next version; a moved one is hashed on its definition, so that caches keep them apart."""
    if campaign is None:
        text, digest = bundled().text, bundled().sha256
        campaign = bundled().campaign
    else:
        text = f"# {campaign.id}, windows moved\n"
        digest = hashlib.sha256(campaign.model_dump_json(by_alias=True).encode()).hexdigest()
    with db.unit_of_work() as uow:
        save_campaign_version(
            uow.session,
            campaign,
            source_text=text,
            sha256=digest,
            loaded_by="test",
            loaded_at=LOADED_AT,
        )
        uow.commit()
    return campaign
