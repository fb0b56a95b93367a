"""Campaign versions, dossiers, their answers and the documents families supply.

JSON columns (``definition``, ``preferences``) are plain ``sqlalchemy.JSON``,
without ``MutableDict``/``MutableList``: change them by *assigning a new
value* (``answer.preferences = [*answer.preferences, "piano"]``); an in-place
``.append`` would not be saved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field

from dacapo.store.types import Base, UTCDateTime, utcnow

DOCUMENT_STATUSES = ("pending", "accepted", "rejected")


class CampaignVersion(Base, table=True):
    """One load of a campaign file: reloading a changed file adds a version."""

    __tablename__ = "campaign_version"
    __table_args__ = (UniqueConstraint("campaign_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str
    version: int
    site_code: str = Field(foreign_key="site.code")
    school_year: str
    sha256: str
    # Campaign.model_dump(mode="json", by_alias=True); Campaign.model_validate() reads it back.
    definition: dict[str, Any] = Field(sa_type=JSON, nullable=False)
    source_text: str = Field(sa_type=Text, nullable=False)
    loaded_at: dt.datetime = Field(sa_type=UTCDateTime(), nullable=False)
    loaded_by: str


# A Column object of its own so that __mapper_args__ can name it.
_dossier_version = Column("version", Integer, nullable=False)


class Dossier(Base, table=True):
    """One student in one campaign workflow: the state machine instance.

    ``version`` is SQLAlchemy's ``version_id_col``: every UPDATE checks and bumps
    it, and a stale one raises ``StaleDataError`` (``ConcurrentUpdate`` from the
    unit of work). Never set it by hand.
    """

    __tablename__ = "dossier"
    __table_args__ = (
        UniqueConstraint("campaign_id", "student_id", "workflow"),
        ForeignKeyConstraint(
            ["campaign_id", "campaign_version"],
            ["campaign_version.campaign_id", "campaign_version.version"],
        ),
        Index("ix_dossier_campaign_id_state", "campaign_id", "state"),
    )
    __mapper_args__ = {"version_id_col": _dossier_version}  # noqa: RUF012

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True)
    campaign_id: str
    campaign_version: int
    workflow: str
    window: str
    student_id: int = Field(foreign_key="student.id", index=True)
    state: str
    version: int = Field(default=1, sa_column=_dossier_version)
    deadline: dt.date | None = None  # a per-dossier extension of the window
    house_rules_version: str | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    updated_at: dt.datetime = Field(
        default_factory=utcnow,
        sa_type=UTCDateTime(),
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )


class Answer(Base, table=True):
    """What the family answered in the dossier (one row per dossier)."""

    __tablename__ = "answer"

    dossier_id: int = Field(primary_key=True, foreign_key="dossier.id")
    intent: bool | None = None
    remarks: str = Field(default="", sa_type=Text, nullable=False)
    preferences: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    support_requested: bool = False


class Document(Base, table=True):
    """A supplied document; ``student_id`` null means a family-level one."""

    __tablename__ = "document"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'accepted', 'rejected')", name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    student_id: int | None = Field(default=None, foreign_key="student.id", index=True)
    kind: str
    status: str = "pending"
    sha256: str | None = None
    size: int | None = None
    media_type: str | None = None
    original_name: str | None = None
    issued: dt.date | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    tax_year: int | None = None
    income_year: int | None = None
    signed: bool = False
    received_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    reviewed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    reviewed_by: str | None = None
    rejection_reason: str | None = None
