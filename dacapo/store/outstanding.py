"""Who still owes which documents, for a whole campaign at once.

``outstanding`` gives, for every open dossier, the verdict ``checklist(...)``
reaches on its document requirements — the rules' own verdict
(``check_requirement``, ``applies``) — without building 100,000 snapshots:

- per chunk of dossiers, one narrow Core query (dossier and pupil columns)
  and one for the documents their families hold (the values the rules judge);
- a requirement with no candidate document (any status, an accepted kind,
  the right owner: the family's for a family requirement, the pupil's own for
  a pupil's) is missing — or deferred — as soon as it applies: nothing to judge;
- a ``when`` condition is evaluated by ``rules.conditions.applies`` on a real
  snapshot once per distinct value of the columns it reads (``student.discipline``
  takes three values at Malakoff: three snapshots, not 100,000);
- candidate documents are judged by ``check_requirement`` on a real snapshot
  (``snapshot_from_row``, as the engine reads one) once per distinct set of
  judged values (``JUDGED``): siblings share their family's documents, and
  families send the same few kinds of right and wrong documents.

A dossier counts where the checklist judges its documents: in a non-final
state with ``documents_present`` on its way to the workflow's success. With
``owing(confirmed=True)`` (the chase of deferred documents) the success state
counts too, where only deferred requirements are still owed. Dossiers that
lack nothing are not yielded.

Measured by ``bench/sweep.py``: 100,000 dossiers in a few seconds, with or
without documents (the figures are in its output).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Row, Select, Table, and_, or_, select
from sqlmodel import Session

from dacapo.campaigns.schema import Campaign, Condition, Level
from dacapo.campaigns.windows import require_aware
from dacapo.rules.checklist import success_path
from dacapo.rules.conditions import applies, condition_fields
from dacapo.rules.documents import check_requirement
from dacapo.rules.findings import Status
from dacapo.rules.snapshot import DossierSnapshot
from dacapo.store.bulk import chunks, select_in
from dacapo.store.dossiers import SNAPSHOT_COLUMNS, snapshot_from_row
from dacapo.store.engine_port import DOC, DOSSIER_TABLE, A, D, F, G, S
from dacapo.store.tables import Answer, Document, Family, Guardian, Student

__all__ = ["Lacking", "outstanding", "owing"]

CHUNK = 1000  # dossiers per round of queries
STUDENT: Table = Student.__table__  # type: ignore[attr-defined]
FAMILY: Table = Family.__table__  # type: ignore[attr-defined]
ANSWER: Table = Answer.__table__  # type: ignore[attr-defined]
GUARDIAN: Table = Guardian.__table__  # type: ignore[attr-defined]
DOCUMENT: Table = Document.__table__  # type: ignore[attr-defined]
_COLUMN = {c.name: c for c in SNAPSHOT_COLUMNS}
_SNAPSHOT = (
    select(*SNAPSHOT_COLUMNS)
    .select_from(DOSSIER_TABLE)
    .join(STUDENT, S.id == D.student_id)
    .join(FAMILY, F.id == S.family_id)
    .outerjoin(ANSWER, A.dossier_id == D.id)
)
Scope = Literal["all", "deferred"]
Key = tuple[str, tuple[Any, ...]]  # a requirement and the values its ``when`` reads


@dataclass(frozen=True, slots=True)
class Lacking:
    dossier_id: int
    ref: str
    family_id: int
    student_id: int
    state: str
    window: str
    deadline: dt.date | None
    missing: tuple[str, ...]  # names of unmet, non-deferred document requirements, campaign order
    deferred: tuple[str, ...]  # names of deferred requirements (applicable) not yet satisfied


def outstanding(
    session: Session,
    campaign: Campaign,
    *,
    now: dt.datetime,
    window: str | None = None,
    dossier_ids: Sequence[int] | None = None,
) -> Iterator[Lacking]:
    """Every open dossier of ``campaign`` that lacks a document, by dossier id.

    ``window`` and ``dossier_ids`` narrow the dossiers looked at.
    """
    return owing(session, campaign, now=now, window=window, dossier_ids=dossier_ids)


def owing(
    session: Session,
    campaign: Campaign,
    *,
    now: dt.datetime,
    window: str | None = None,
    dossier_ids: Sequence[int] | None = None,
    confirmed: bool = False,
    only: Sequence[str] | None = None,
) -> Iterator[Lacking]:
    """``outstanding``, and with ``confirmed`` the deferred documents of confirmed
    dossiers too; ``only`` judges these requirements and no others."""
    scan = _Scan(session, campaign, require_aware(now), confirmed, only)
    if not scan.scopes or not scan.requirements:
        return
    if dossier_ids is not None:
        # By primary key, the campaign checked here: given ``campaign_id = ?``, SQLite
        # (without statistics) would walk the campaign's index for every chunk instead.
        query = scan.narrow.add_columns(D.campaign_id).where(scan.where(window, by_campaign=False))
        for part in chunks(sorted(set(dossier_ids)), CHUNK):
            found = select_in(session, query, D.id, part)
            yield from scan.chunk([r[:-1] for r in found if r[-1] == campaign.id])
        return
    # The ids first, then ranges of them: an ORDER BY ... LIMIT page would sort every time.
    ids = list(session.execute(select(D.id).where(scan.where(window)).order_by(D.id)).scalars())
    query = scan.narrow.where(scan.where(window))
    for part in chunks(ids, CHUNK):
        yield from scan.chunk(session.execute(query.where(D.id.between(part[0], part[-1]))).all())


def _scopes(campaign: Campaign, confirmed: bool) -> dict[tuple[str, str], Scope]:
    """The (workflow, state) pairs where the checklist judges documents, and how."""
    scopes: dict[tuple[str, str], Scope] = {}
    for name, workflow in campaign.workflows.items():
        for state in workflow.states:
            if state in workflow.final:
                if confirmed and state == workflow.success:
                    scopes[name, state] = "deferred"
            elif any("documents_present" in t.guards for t in success_path(workflow, state)):
                scopes[name, state] = "all"
    return scopes


def _inputs(path: str) -> tuple[str, ...] | None:
    """The ``SNAPSHOT_COLUMNS`` a condition field reads (``rules.fields.field_values``);
    None for guardians' fields: those are read on a full snapshot every time."""
    scope, name = path.split(".", 1)
    if scope == "student":
        if name == "adult":
            return ("s_birth_date",)
        return (f"s_{name}", f"f_{name}") if name in ("postcode", "city") else (f"s_{name}",)
    return (f"f_{name}",) if scope == "family" else None


def _condition_columns(when: Condition) -> tuple[str, ...] | None:
    found: dict[str, None] = {}
    for path, _ in condition_fields(when):
        columns = _inputs(path)
        if columns is None or any(c not in _COLUMN for c in columns):
            return None
        found.update(dict.fromkeys(columns))
    return tuple(found)


def _positions(columns: tuple[str, ...] | None, keyed: list[str]) -> tuple[int, ...] | None:
    return None if columns is None else tuple(keyed.index(c) for c in columns)


@dataclass(frozen=True, slots=True)
class _Requirement:
    name: str
    family_level: bool
    deferred: bool
    when: Condition | None
    inputs: tuple[int, ...] | None  # positions in the row's condition columns; None: no memo


# What ``rules.documents.problems`` reads of a supplied document, its owner aside: the
# verdict on a requirement follows from the requirement, the day and these values of its
# candidate documents (``test_outstanding`` checks the list covers ``snapshot.Document``).
JUDGED = (
    "kind", "status", "issued", "valid_from", "valid_until", "tax_year", "income_year",
    "signed", "rejection_reason",
)  # fmt: skip
_HELD = select(DOC.family_id, DOC.student_id, *(DOC[c] for c in JUDGED))
Held = frozenset[tuple[tuple[Any, ...], int]]  # candidate documents' JUDGED values, counted
DocKey = tuple[str, Held]
# Per requirement judged: (requirement, its candidate documents or None, memo key of its
# condition or None).
Plan = list[tuple[_Requirement, DocKey | None, Key | None]]
Verdict = tuple[tuple[str, ...], tuple[str, ...]]  # (missing, deferred)


class _Scan:
    """One pass over a campaign's dossiers; verdicts are remembered across its chunks."""

    def __init__(
        self,
        session: Session,
        campaign: Campaign,
        now: dt.datetime,
        confirmed: bool,
        only: Sequence[str] | None,
    ) -> None:
        self.session = session
        self.campaign = campaign
        self.today = now.astimezone(campaign.zone).date()
        self.scopes = _scopes(campaign, confirmed)
        wanted = {
            name: spec
            for name, spec in campaign.requirements.documents.items()
            if only is None or name in only
        }
        columns = {n: _condition_columns(s.when) if s.when else () for n, s in wanted.items()}
        keyed = sorted({c for found in columns.values() for c in found or ()})
        self.requirements = [
            _Requirement(
                name,
                spec.level is Level.FAMILY,
                spec.deferred is not None,
                spec.when,
                _positions(columns[name], keyed),
            )
            for name, spec in wanted.items()
        ]
        self.kinds = {name: {a.kind for a in spec.accepts} for name, spec in wanted.items()}
        self.conditions: dict[Key, bool] = {}  # a ``when`` and the values it reads: holds?
        self.statuses: dict[DocKey, Status] = {}  # a requirement and candidate documents
        # Every condition memoisable: dossiers alike share their verdict (``chunk``).
        self.memoised = all(r.when is None or r.inputs is not None for r in self.requirements)
        self.shapes: dict[tuple[Any, ...], Verdict] = {}
        self.narrow: Select[Any] = (
            select(D.id, D.ref, D.workflow, D.window, D.state, D.deadline, S.id, S.family_id,
                   *(_COLUMN[c] for c in keyed))
            .select_from(DOSSIER_TABLE)
            .join(STUDENT, S.id == D.student_id)
            .join(FAMILY, F.id == S.family_id)
        )  # fmt: skip

    def where(self, window: str | None, *, by_campaign: bool = True) -> Any:
        """The dossiers in scope: the campaign's (unless ``by_campaign`` is False), in
        a state where documents are judged, in ``window`` if given."""
        states: dict[str, list[str]] = defaultdict(list)
        for workflow, state in self.scopes:
            states[workflow].append(state)
        clause = or_(*(and_(D.workflow == w, D.state.in_(s)) for w, s in states.items()))
        if by_campaign:
            clause = and_(D.campaign_id == self.campaign.id, clause)
        return clause if window is None else and_(clause, D.window == window)

    def chunk(self, rows: Sequence[Sequence[Any]]) -> Iterator[Lacking]:
        """The verdicts on the dossiers of ``rows`` (``narrow`` rows), by dossier id.

        Two dossiers in the same workflow state, with the same values for the
        conditions to read and candidate documents alike, get the same verdict:
        it is computed once, by the rules, on the snapshot of the first one seen.
        """
        heads = sorted((tuple(r) for r in rows), key=lambda h: h[0])
        held = self._held(sorted({h[7] for h in heads}))
        holders = {(family, student) for _, family, student in held}
        verdicts: list[Verdict | None] = []
        pending: list[tuple[int, Plan, tuple[Any, ...] | None]] = []
        wanted: dict[Key | DocKey | int, int] = {}  # what is not known yet -> a dossier with it
        for index, head in enumerate(heads):
            dossier_id, _, workflow, _, state, _, student, family, *inputs = head
            plan: Plan | None = None
            shape = None
            if self.memoised:
                if (family, None) in holders or (family, student) in holders:
                    plan = self._plan(head, held, inputs)
                    shape = (workflow, state, *inputs, tuple(docs for _, docs, _ in plan))
                else:  # no candidate document at all, the common case: no plan needed
                    shape = (workflow, state, *inputs, None)
                known = self.shapes.get(shape)
                if known is not None:
                    verdicts.append(known)
                    continue
            verdicts.append(None)
            plan = plan or self._plan(head, held, inputs)
            for r, documents, key in plan:
                if key is not None and key not in self.conditions:
                    wanted.setdefault(key, dossier_id)
                if r.when is not None and key is None:
                    wanted.setdefault(dossier_id, dossier_id)
                if documents is not None and documents not in self.statuses:
                    wanted.setdefault(documents, dossier_id)
            pending.append((index, plan, shape))
        snapshots = self._snapshots(sorted(set(wanted.values())))
        for index, plan, shape in pending:
            verdict = verdicts[index] = self._verdict(plan, snapshots.get(heads[index][0]))
            if shape is not None:
                self.shapes[shape] = verdict
        for head, found in zip(heads, verdicts, strict=True):
            assert found is not None
            missing, deferred = found
            if missing or deferred:
                dossier_id, ref, _, window, state, deadline, student, family = head[:8]
                yield Lacking(
                    dossier_id, ref, family, student, state, window, deadline, missing, deferred
                )

    def _held(self, families: Sequence[int]) -> dict[tuple[str, int, int | None], Held]:
        """Per (requirement, family, pupil or None for the family), its candidate documents."""
        found: dict[tuple[str, int, int | None], list[tuple[Any, ...]]] = defaultdict(list)
        kinds = sorted({kind for wanted in self.kinds.values() for kind in wanted})
        query = _HELD.where(DOC.kind.in_(kinds))
        for family, student, *judged in select_in(self.session, query, DOC.family_id, families):
            for r in self.requirements:
                if judged[0] in self.kinds[r.name] and (student is None) == r.family_level:
                    found[r.name, family, student].append(tuple(judged))
        return {key: frozenset(Counter(values).items()) for key, values in found.items()}

    def _plan(
        self, head: tuple[Any, ...], held: dict[tuple[str, int, int | None], Held], inputs: Any
    ) -> Plan:
        _, _, workflow, _, state, _, student, family = head[:8]
        deferred_only = self.scopes[workflow, state] == "deferred"
        plan: Plan = []
        for r in self.requirements:
            if deferred_only and not r.deferred:
                continue
            candidates = held.get((r.name, family, None if r.family_level else student))
            key = None
            if r.when is not None and r.inputs is not None:
                key = (r.name, tuple(inputs[i] for i in r.inputs))
            plan.append((r, None if candidates is None else (r.name, candidates), key))
        return plan

    def _verdict(self, plan: Plan, snapshot: DossierSnapshot | None) -> Verdict:
        """The dossier's missing and deferred requirements; ``snapshot`` when it is the
        first seen with something not known yet (its ``when`` inputs, its documents)."""
        missing: list[str] = []
        deferred: list[str] = []
        starts = self.campaign.school_year_starts
        for r, documents, key in plan:
            if r.when is not None:
                if key is None:
                    assert snapshot is not None
                    holds = applies(r.when, snapshot, starts)
                elif key in self.conditions:
                    holds = self.conditions[key]
                else:
                    assert snapshot is not None
                    holds = self.conditions[key] = applies(r.when, snapshot, starts)
            status = None
            if documents is not None:  # judged even where it does not apply: remembered
                status = self.statuses.get(documents)
                if status is None:
                    assert snapshot is not None
                    spec = self.campaign.requirements.documents[r.name]
                    found = check_requirement(self.campaign, r.name, spec, snapshot, self.today)
                    status = self.statuses[documents] = found.status
            if r.when is not None and not holds:
                continue
            if status is None:  # what check_requirement says when nothing was supplied
                status = Status.DEFERRED if r.deferred else Status.UNMET
            if status is Status.UNMET:
                missing.append(r.name)
            elif status is Status.DEFERRED:
                deferred.append(r.name)
        return tuple(missing), tuple(deferred)

    def _snapshots(self, ids: Sequence[int]) -> dict[int, DossierSnapshot]:
        """Full snapshots of ``ids``, guardians and documents included."""
        if not ids:
            return {}
        heads = list(select_in(self.session, _SNAPSHOT, D.id, ids))
        families = sorted({h.f_id for h in heads})
        guardians: dict[int, list[Row[Any]]] = defaultdict(list)
        for g in select_in(self.session, select(GUARDIAN), G.family_id, families):
            guardians[g.family_id].append(g)
        documents: dict[int, list[Row[Any]]] = defaultdict(list)
        for d in select_in(self.session, select(DOCUMENT), DOC.family_id, families):
            documents[d.family_id].append(d)
        for found in guardians.values():
            found.sort(key=lambda g: g.position)
        for found in documents.values():
            found.sort(key=lambda d: d.id)
        return {
            h.d_id: snapshot_from_row(
                h,
                guardians[h.f_id],
                [d for d in documents[h.f_id] if d.student_id in (None, h.s_id)],
            )
            for h in heads
        }
