"""The end of the simulation in a few lines: what each persona came to, the
scheduler's work, the messages, the staff's work, the refusals, the audit."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from dacapo.simulation import queries
from dacapo.simulation.families import Family
from dacapo.simulation.personas import HABIT, HABITS
from dacapo.simulation.staff import Staff
from dacapo.simulation.world import World
from dacapo.store.audit import verify_audit
from dacapo.store.database import Database
from dacapo.store.schedule import due_items


def personas(database: Database, families: Sequence[Family]) -> list[str]:
    """Per persona: families, dossiers, their states, and whether they ended as expected."""
    found = queries.states(database, [ref for f in families for _, ref in f.dossiers])
    lines = ["End states by persona:"]
    for habit in HABITS:
        mine = [f for f in families if f.persona is habit.persona]
        if not mine:
            continue
        ends = Counter(found[ref] for f in mine for _, ref in f.dossiers)
        shown = ", ".join(f"{state} {n}" for state, n in sorted(ends.items()))
        verdict = "as expected" if set(ends) == {habit.expected} else f"expected {habit.expected}"
        lines.append(
            f"  {habit.persona.value:<16}{len(mine):>3} families {sum(ends.values()):>4} dossiers"
            f"  {shown:<28} {verdict}"
        )
    return lines


def unexpected(database: Database, families: Sequence[Family]) -> list[str]:
    """Dossiers not in the state their family's persona leads to."""
    found = queries.states(database, [ref for f in families for _, ref in f.dossiers])
    return [
        f"{ref}: {found[ref]} ({f.persona.value})"
        for f in families
        for _, ref in f.dossiers
        if found[ref] != HABIT[f.persona].expected
    ]


def scheduler(world: World, database: Database) -> list[str]:
    campaign = world.facts.campaign
    with database.unit_of_work(read_only=True) as uow:
        items = due_items(uow.session, campaign_id=campaign.id, statuses=None)
    lines = ["Scheduler work:"]
    for item in items:
        when = world.calendar.local(item.done_at) if item.done_at else "-"
        line = f"  {item.key:<27} {item.status:<8} {when:<16}  {figures(item.outcome or '')}"
        lines.append(line.rstrip())
    return lines


def figures(outcome: str) -> str:
    """A job's outcome, shortened: ``lapsed=7 notices=10`` of ``campaign_id=... lapsed=7
    kept_with_extension=0 notices=10 chunks=1``; a sentence is kept as it is."""
    pairs = _COUNT.findall(outcome)
    if not pairs:
        return outcome
    counts = [f"{k}={v}" for k, v in pairs if v != "0" and k not in _QUIET]
    note = _NOTE.search(outcome)
    return " ".join([*counts, *([note[1]] if note and note[1] else [])])


_COUNT = re.compile(r"\b(\w+)=(\d+)\b")
_NOTE = re.compile(r"\bnote=(.*)$")
_QUIET = {"chunks", "states"}


def messages(database: Database, folder: str) -> list[str]:
    statuses: Counter[str] = Counter()
    per_template: dict[str, list[str]] = {}
    for template, channel, status, count in queries.outbox_counts(database):
        statuses[status] += count
        if status == "sent":
            per_template.setdefault(template, []).append(f"{channel} {count}")
    total = ", ".join(f"{status} {n}" for status, n in sorted(statuses.items())) or "none"
    lines = [f"Messages: {total} (files in {folder})"]
    lines += [f"  {template:<20} {', '.join(sent)}" for template, sent in per_template.items()]
    return lines


def staff(world: World, team: Staff) -> list[str]:
    reviewed = team.reviewed
    lines = [
        f"Staff: income evidence checked, {reviewed['accept']} accepted and "
        f"{reviewed['reject']} rejected; "
        f"{len(team.reopened)} dossiers reopened with a deadline"
    ]
    for ref, until in team.reopened:
        lines.append(f"  {ref} reopened until {until:%d/%m/%Y}")
    if team.wishes:
        found = queries.states(world.services.database, [w.dossier for w in team.wishes])
        ends = Counter(found.values())
        shown = ", ".join(f"{state} {n}" for state, n in sorted(ends.items()))
        lines.append(f"New pupils: {len(team.wishes)} wishes registered at the desk; now {shown}")
    return lines


def refusals(world: World) -> list[str]:
    counts = world.journal.refusals
    if not counts:
        return ["Refusals: none"]
    shown = ", ".join(f"{code} {n}" for code, n in sorted(counts.items()))
    return [f"Refusals (families acting too late, and the like): {shown}"]


def audit(world: World, database: Database) -> list[str]:
    campaign_id = world.facts.campaign.id
    rows, simulated = queries.audit_counts(database, campaign_id)
    with database.unit_of_work(read_only=True) as uow:
        broken = verify_audit(uow.session, campaign_id=campaign_id)
    verdict = "hash chains verified" if broken is None else f"BROKEN: {broken}"
    marked = "all marked simulated" if rows == simulated else f"{simulated} marked simulated"
    return [f"Audit: {rows} rows, {marked}; {verdict}"]
