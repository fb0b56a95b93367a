"""Sites, families, their guardians and their students."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field

from dacapo.store.types import Base, UTCDateTime, utcnow

STUDENT_STATUSES = ("continuing", "new")


class Site(Base, table=True):
    """A conservatoire (one deployment may serve several)."""

    __tablename__ = "site"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    name: str


class Family(Base, table=True):
    """A family account (« compte familial »): its address and guardians."""

    __tablename__ = "family"
    __table_args__ = (UniqueConstraint("site_code", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    site_code: str = Field(foreign_key="site.code")
    ref: str
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    updated_at: dt.datetime = Field(
        default_factory=utcnow,
        sa_type=UTCDateTime(),
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )


class Guardian(Base, table=True):
    """A « responsable »: ``position`` 1, 2, ... within the family."""

    __tablename__ = "guardian"
    __table_args__ = (UniqueConstraint("family_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id")
    position: int
    last_name: str | None = None
    first_name: str | None = None
    email: str | None = None
    mobile: str | None = None  # E.164 (+33612345678) or null
    email_bounced: bool = False


class Student(Base, table=True):
    """A pupil. ``postcode``/``city`` empty means « les coordonnées du responsable »."""

    __tablename__ = "student"
    __table_args__ = (
        UniqueConstraint("site_code", "ref"),
        CheckConstraint("status IN ('continuing', 'new')", name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    site_code: str = Field(foreign_key="site.code")
    ref: str
    last_name: str | None = None
    first_name: str | None = None
    birth_date: dt.date | None = None
    discipline: str | None = None
    cycle: str | None = None
    instrument: str | None = None
    school: str | None = None
    school_level: str | None = None
    email: str | None = None
    mobile: str | None = None
    postcode: str | None = None
    city: str | None = None
    status: str = "continuing"
