"""Loading a campaign file: a new version, the dossiers following it, new ones opened.

``load_campaign(session, loaded, actor=..., now=..., remap=...)``:

1. Every dossier already open must find its state in its workflow in the new
   file. A state that no longer exists refuses the load (``WorkflowChanged``
   lists the dossiers per missing state) unless ``remap`` maps it to a state
   of the new workflow (``--map OLD=NEW``).
2. The file is stored as the campaign's next version; an unchanged file (same
   sha256 as the latest version) is not stored again.
3. On a new version, the remapped dossiers change state, each with a
   ``remap`` audit row; then every dossier of the campaign moves to the new
   version: ``campaign_version`` set and the optimistic ``version`` bumped (a
   form filled in under the old rules is refused), state and audit untouched.
4. The scheduler's due work follows the new dates (``store.schedule``):
   pending items move, done ones stay done.
5. One dossier is opened per continuing pupil of the site that has none, for
   the window of continuing pupils, in its workflow's initial state, with an
   ``open`` audit row and an empty answer row. This runs on an unchanged file
   too: pupils imported since the last load get theirs.

Set-based: an anti-join finds the pupils without a dossier; dossiers go in by
chunks (``INSERT ... ON CONFLICT DO NOTHING RETURNING id``), audit and answer
rows by executemany. The caller owns the transaction, and does not commit
for a dry run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Table, exists, func, insert, literal, select, update
from sqlmodel import Session

from dacapo.campaigns.loader import LoadedCampaign
from dacapo.campaigns.schema import Campaign, Role
from dacapo.engine.errors import BadInput
from dacapo.store.audit_bulk import Entry, chain_tips, insert_audit_rows
from dacapo.store.bulk import chunks, insert_rows
from dacapo.store.campaign_versions import latest_campaign_version, save_campaign_version
from dacapo.store.dossiers import dossier_ref
from dacapo.store.remaps import Remap, WorkflowChanged, plan_remaps
from dacapo.store.schedule import SyncOutcome, sync_due_work
from dacapo.store.tables import Answer, Dossier, Student
from dacapo.store.types import utcnow

__all__ = ["LoadOutcome", "Remap", "WorkflowChanged", "load_campaign"]

DOSSIER: Table = Dossier.__table__  # type: ignore[attr-defined]
STUDENT: Table = Student.__table__  # type: ignore[attr-defined]
ANSWER: Table = Answer.__table__  # type: ignore[attr-defined]
CHUNK = 2000  # dossiers per INSERT


@dataclass(frozen=True)
class LoadOutcome:
    campaign_id: str
    version: int
    created: bool  # False: the file was already loaded as ``version``
    window: str | None  # the window of continuing pupils (None: the campaign has none)
    opened: int
    already_open: int
    moved: int  # dossiers moved from an older version (remapped ones aside)
    remapped: list[Remap] = field(default_factory=list)
    schedule: SyncOutcome | None = None  # the due work planned, moved or cancelled


def load_campaign(
    session: Session,
    loaded: LoadedCampaign,
    *,
    actor: str,
    now: dt.datetime,
    remap: Mapping[str, str] | None = None,
) -> LoadOutcome:
    """Store ``loaded`` as the campaign's next version and open the missing dossiers."""
    campaign = loaded.campaign
    latest = latest_campaign_version(session, campaign.id)
    if latest is not None and latest.site_code != campaign.site.code:
        raise BadInput(
            f"{loaded.source}: campaign {campaign.id!r} belongs to site {latest.site_code!r}, "
            f"not {campaign.site.code!r}: give the campaign a new id"
        )
    plans = plan_remaps(session, campaign, dict(remap or {}))
    row, created = save_campaign_version(
        session,
        campaign,
        source_text=loaded.text,
        sha256=loaded.sha256,
        loaded_by=actor,
        loaded_at=now,
    )
    recorded_at = utcnow()
    remapped, moved = [], 0
    if created:
        for plan in plans:
            remapped.append(_remap(session, campaign, row.version, plan, actor, now, recorded_at))
        moved = _move(session, campaign.id, row.version, now)
    window, opened, already = _open(session, campaign, row.version, actor, now, recorded_at)
    schedule = sync_due_work(session, campaign, row.version)
    return LoadOutcome(
        campaign.id, row.version, created, window, opened, already, moved, remapped, schedule
    )


def _move(session: Session, campaign_id: str, version: int, now: dt.datetime) -> int:
    statement = (
        update(DOSSIER)
        .where(DOSSIER.c.campaign_id == campaign_id, DOSSIER.c.campaign_version != version)
        .values(campaign_version=version, version=DOSSIER.c.version + 1, updated_at=now)
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def _remap(
    session: Session,
    campaign: Campaign,
    version: int,
    plan: Remap,
    actor: str,
    now: dt.datetime,
    recorded_at: dt.datetime,
) -> Remap:
    """Move the dossiers in ``plan.from_state``, one audit row each."""
    where = (
        DOSSIER.c.campaign_id == campaign.id,
        DOSSIER.c.workflow == plan.workflow,
        DOSSIER.c.state == plan.from_state,
    )
    ids = list(session.execute(select(DOSSIER.c.id).where(*where)).scalars())
    entry = Entry(
        event="remap",
        from_state=plan.from_state,
        to_state=plan.to_state,
        actor=actor,
        role=Role.STAFF.value,
        reason=f"campaign reload v{version}: {plan.from_state}→{plan.to_state}",
        effective_at=now,
        recorded_at=recorded_at,
        campaign_version=version,
    )
    insert_audit_rows(session, [(id_, entry) for id_ in ids], chain_tips(session, ids))
    session.execute(
        update(DOSSIER)
        .where(*where)
        .values(
            state=plan.to_state,
            campaign_version=version,
            version=DOSSIER.c.version + 1,
            updated_at=now,
        )
    )
    return Remap(plan.workflow, plan.from_state, plan.to_state, len(ids))


def _open(
    session: Session,
    campaign: Campaign,
    version: int,
    actor: str,
    now: dt.datetime,
    recorded_at: dt.datetime,
) -> tuple[str | None, int, int]:
    """Open the missing dossiers: (window, opened, already open)."""
    windows = [(n, w) for n, w in campaign.windows.items() if w.pupils == "continuing"]
    if not windows:
        return None, 0, 0
    name, window = min(windows, key=lambda item: item[1].opens)
    initial = campaign.workflows[window.workflow].initial
    pupils = select(STUDENT.c.id, STUDENT.c.ref).where(
        STUDENT.c.site_code == campaign.site.code, STUDENT.c.status == "continuing"
    )
    has_dossier = exists().where(
        DOSSIER.c.campaign_id == campaign.id,
        DOSSIER.c.student_id == STUDENT.c.id,
        DOSSIER.c.workflow == window.workflow,
    )
    missing = session.execute(pupils.where(~has_dossier).order_by(STUDENT.c.ref)).all()
    total = session.execute(select(func.count()).select_from(pupils.subquery())).scalar_one()
    entry = Entry(
        event="open",
        from_state="",
        to_state=initial,
        actor=actor,
        role=Role.STAFF.value,
        reason=None,
        effective_at=now,
        recorded_at=recorded_at,
        campaign_version=version,
    )
    opened = 0
    for part in chunks(missing, CHUNK):
        rows = [
            {
                "ref": dossier_ref(campaign.site.code, campaign.school_year, ref),
                "campaign_id": campaign.id,
                "campaign_version": version,
                "workflow": window.workflow,
                "window": name,
                "student_id": student_id,
                "state": initial,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for student_id, ref in part
        ]
        written = insert_rows(session, DOSSIER, rows, returning=("id",), ignore_conflicts=True)
        ids = [id_ for (id_,) in written]
        insert_audit_rows(session, [(id_, entry) for id_ in ids])
        _add_answers(session, ids)
        opened += len(ids)
    return name, opened, int(total) - opened


def _add_answers(session: Session, dossier_ids: list[int]) -> None:
    """An empty answer row per dossier: one ``INSERT ... SELECT``, values bound once."""
    if not dossier_ids:
        return
    empty = select(
        DOSSIER.c.id,
        literal("", ANSWER.c.remarks.type),
        literal([], ANSWER.c.preferences.type),
        literal(False, ANSWER.c.support_requested.type),
    ).where(DOSSIER.c.id.in_(dossier_ids))
    columns = ["dossier_id", "remarks", "preferences", "support_requested"]
    session.execute(insert(ANSWER).from_select(columns, empty))
