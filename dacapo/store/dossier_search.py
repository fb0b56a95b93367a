"""Finding dossiers: SQL filters, then ``--missing`` (the checklist as a filter).

``load_snapshots`` reads the dossiers, pupils, families, guardians, documents
and answers of up to ``CHUNK`` dossiers in six queries (``IN`` lists of bound
parameters, under SQLite's limit), where ``dossiers.load_snapshot`` takes five
queries per dossier.

Cost of ``dossier list --missing``: the SQL filters run first; then, for each
chunk of 500 candidates, six queries and one checklist per dossier in Python
(every guard of the rest of the workflow, formats and documents included).
``bench/dossier_list.py`` measures about 0.9 ms per candidate, nearly all of it
in the rules: 25,000 invited dossiers in 22-26 s on SQLite or PostgreSQL.
Narrow with ``--campaign`` and ``--state`` on large deployments.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlmodel import Session, col, select

from dacapo.engine.errors import BadInput
from dacapo.rules import checklist, requirement_items
from dacapo.rules import snapshot as snap
from dacapo.rules.findings import Finding, Status
from dacapo.store.dossier_queries import DossierFilter, DossierRow, count_dossiers, list_dossiers
from dacapo.store.dossiers import build_snapshot
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.tables import Answer, Document, Dossier, Family, Guardian, Student

CHUNK = 500
MISSING = frozenset({Status.UNMET, Status.DEFERRED})


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def load_snapshots(session: Session, ids: Sequence[int]) -> dict[int, snap.DossierSnapshot]:
    """The snapshot of each dossier id (as ``dossiers.load_snapshot`` builds it)."""
    found: dict[int, snap.DossierSnapshot] = {}
    for chunk in _chunks(list(ids)):
        found.update(_load_chunk(session, chunk))
    return found


def _load_chunk(session: Session, ids: Sequence[int]) -> dict[int, snap.DossierSnapshot]:
    dossiers = session.exec(select(Dossier).where(col(Dossier.id).in_(ids))).all()
    student_ids = {d.student_id for d in dossiers}
    students = {
        s.id: s for s in session.exec(select(Student).where(col(Student.id).in_(student_ids)))
    }
    family_ids = {s.family_id for s in students.values()}
    families = {f.id: f for f in session.exec(select(Family).where(col(Family.id).in_(family_ids)))}
    guardians: dict[int, list[Guardian]] = defaultdict(list)
    for g in session.exec(
        select(Guardian)
        .where(col(Guardian.family_id).in_(family_ids))
        .order_by(col(Guardian.position))
    ):
        guardians[g.family_id].append(g)
    documents: dict[int, list[Document]] = defaultdict(list)
    for d in session.exec(
        select(Document).where(col(Document.family_id).in_(family_ids)).order_by(col(Document.id))
    ):
        documents[d.family_id].append(d)
    answers = {
        a.dossier_id: a for a in session.exec(select(Answer).where(col(Answer.dossier_id).in_(ids)))
    }
    found: dict[int, snap.DossierSnapshot] = {}
    for dossier in dossiers:
        assert dossier.id is not None
        student = students[dossier.student_id]
        family = families[student.family_id]
        own = [d for d in documents[family.id or 0] if d.student_id in (None, student.id)]
        found[dossier.id] = build_snapshot(
            dossier, student, family, guardians[family.id or 0], own, answers.get(dossier.id)
        )
    return found


def matches(finding: Finding, code: str) -> bool:
    """``code`` names the finding: its code, the part before or after ``:``, or its item."""
    prefix, _, suffix = finding.code.partition(":")
    return code in (finding.code, prefix, suffix, finding.item)


def missing(
    session: Session, rows: Sequence[DossierRow], code: str, now: dt.datetime
) -> list[DossierRow]:
    """The ``rows`` whose checklist has an unmet (or deferred) finding named by ``code``."""
    store = SqlDossierStore(session)
    campaigns = {
        key: store.campaign(*key) for key in {(r.campaign, r.campaign_version) for r in rows}
    }
    known = {"fields", "formats"}
    for campaign in campaigns.values():
        known |= requirement_items(campaign)
    if rows and "." not in code and ":" not in code and code not in known:
        raise BadInput(f"--missing {code!r}: unknown item; items: {', '.join(sorted(known))}")
    kept: list[DossierRow] = []
    for chunk in _chunks(rows):
        snapshots = load_snapshots(session, [r.id for r in chunk])
        for row in chunk:
            campaign = campaigns[row.campaign, row.campaign_version]
            findings = checklist(campaign, snapshots[row.id], now).whole
            if any(f.status in MISSING and matches(f, code) for f in findings):
                kept.append(row)
    return kept


def find_dossiers(
    session: Session,
    filters: DossierFilter,
    *,
    missing_code: str | None = None,
    now: dt.datetime,
    limit: int | None = None,
) -> tuple[list[DossierRow], int]:
    """At most ``limit`` matching dossiers, and how many match in all."""
    if missing_code is not None:
        rows = missing(session, list_dossiers(session, filters), missing_code, now)
        return (rows[:limit] if limit else rows), len(rows)
    rows = list_dossiers(session, filters, limit=limit)
    total = count_dossiers(session, filters) if limit and len(rows) == limit else len(rows)
    return rows, total
