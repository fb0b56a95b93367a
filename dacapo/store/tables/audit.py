"""The audit log: one row per transition, append-only, hash-chained per dossier.

See ``dacapo.store.chain`` for the chain: each row's ``hash`` covers its
meaningful fields and the ``prev_hash`` of the dossier's previous row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import UniqueConstraint, event
from sqlalchemy.orm import Mapper
from sqlmodel import Field

from dacapo.store.types import Base, UTCDateTime, utcnow


class AuditRow(Base, table=True):
    """Who did what to a dossier, when (``effective_at`` = the engine's ``now``)."""

    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("dossier_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id")
    seq: int  # 1..n within the dossier
    event: str
    from_state: str
    to_state: str
    actor: str
    role: str
    reason: str | None = None
    effective_at: dt.datetime = Field(sa_type=UTCDateTime(), nullable=False)
    recorded_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    simulated: bool = False
    campaign_version: int
    prev_hash: str
    hash: str


def _append_only(mapper: Mapper[Any], connection: Any, target: AuditRow) -> None:
    where = f"row {target.id} of dossier {target.dossier_id}"
    raise RuntimeError(f"audit rows are append-only ({where})")


event.listen(AuditRow, "before_update", _append_only)
event.listen(AuditRow, "before_delete", _append_only)
