"""Every table of Da Capo (sqlmodel ``table=True`` models) and their metadata.

Table names: ``site``, ``family``, ``guardian``, ``student``,
``campaign_version``, ``dossier``, ``answer``, ``document``, ``audit_log``,
``outbox``, ``lease``, ``due_work`` (plus Alembic's ``alembic_version``).

Instants are aware UTC (``UTCDateTime``); JSON columns are changed by
reassignment, never in place.

There are no ORM relationships: rows refer to each other by foreign key
columns only, so SQLAlchemy does not order the INSERTs of different tables
within one flush. Flush a parent row (``session.flush()``) before adding rows
that refer to it (``ensure_site`` and ``save_campaign_version`` do).
"""

from dacapo.store.tables.audit import AuditRow
from dacapo.store.tables.dossiers import (
    DOCUMENT_STATUSES,
    Answer,
    CampaignVersion,
    Document,
    Dossier,
)
from dacapo.store.tables.outbox import CHANNELS, OUTBOX_STATUSES, Lease, OutboxRow
from dacapo.store.tables.people import STUDENT_STATUSES, Family, Guardian, Site, Student
from dacapo.store.tables.schedule import DUE_KINDS, DUE_STATUSES, DueWork
from dacapo.store.types import metadata

__all__ = [
    "CHANNELS",
    "DOCUMENT_STATUSES",
    "DUE_KINDS",
    "DUE_STATUSES",
    "OUTBOX_STATUSES",
    "STUDENT_STATUSES",
    "Answer",
    "AuditRow",
    "CampaignVersion",
    "Document",
    "Dossier",
    "DueWork",
    "Family",
    "Guardian",
    "Lease",
    "OutboxRow",
    "Site",
    "Student",
    "metadata",
]
