"""A whole campaign in virtual time, through the real engine, scheduler and outbox.

From the day before the re-enrolment window opens to the day after the last
window closes, day by day: the families (``families``) and the staff
(``staff``) act at instants of the day, and a scheduler round with an outbox
dispatch (``clockwork``) runs at 08:00 and at the instant of every item of due
work. Everything goes through the services the CLI uses; every unit of work is
marked simulated. The same seed gives the same families, the same instants
and the same database (but for the real-clock bookkeeping columns).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dacapo.bootstrap import App
from dacapo.campaigns.loader import LoadedCampaign
from dacapo.engine.errors import DacapoError
from dacapo.engine.imports import parse_families
from dacapo.simulation import funnel, queries, summary
from dacapo.simulation.clockwork import Clockwork
from dacapo.simulation.families import Family
from dacapo.simulation.people import family_csv, households, newcomers
from dacapo.simulation.personas import HABITS, deal
from dacapo.simulation.services import Services
from dacapo.simulation.staff import Staff
from dacapo.simulation.timeline import ONE_DAY, Agenda, Calendar, days
from dacapo.simulation.world import CampaignFacts, Journal, World
from dacapo.store.campaign_load import load_campaign
from dacapo.store.family_import import import_families, site_catalog

STAFF_LOGIN = "scolarite"


@dataclass(frozen=True)
class Plan:
    families: int
    seed: int
    files: Path  # the evidence families send (see ``world.FILES``)


@dataclass
class Result:
    unexpected: list[str]  # dossiers not where their persona leads: none when all went well
    report: Path
    journal: Path
    outbox: Path
    message_files: int
    families: list[Family] = field(default_factory=list)
    staff: Staff | None = None


@dataclass
class _Day:
    sent: int = 0
    work: list[str] = field(default_factory=list)


class Simulation:
    def __init__(
        self, app: App, loaded: LoadedCampaign, plan: Plan, echo: Callable[[str], None]
    ) -> None:
        app.database.simulated_clock = True
        self.app, self.loaded, self.plan, self.echo = app, loaded, plan, echo
        campaign = loaded.campaign
        self.facts = CampaignFacts.of(campaign)
        self.first = self.facts.opens - ONE_DAY
        self.last = self.facts.last_day + ONE_DAY
        calendar = Calendar.for_zone(campaign.zone, range(self.first.year, self.last.year + 1))
        self.world = World(
            Services(app), calendar, Agenda(), self.facts, plan.files, Journal(calendar)
        )
        self.staff = Staff(self.world, seed=plan.seed)
        self.households = households(plan.families, seed=plan.seed)
        dealt = deal(plan.families, seed=plan.seed)
        self.families = [
            Family(self.world, household, persona, self.staff, seed=plan.seed)
            for household, persona in zip(self.households, dealt, strict=True)
        ]
        self.by_ref = {f.household.ref: f for f in self.families}
        self.newcomers = newcomers(self.households, max(2, plan.families // 6), seed=plan.seed)
        self.clockwork = Clockwork(app)
        self.today = _Day()

    @property
    def out(self) -> Path:
        return self.app.settings.data_dir

    def run(self) -> Result:
        calendar, agenda = self.world.calendar, self.world.agenda
        self._introduce()
        agenda.plan(calendar.at(self.first, 9), "family import", self._import)
        agenda.plan(calendar.at(self.first, 9, 30), "campaign load", self._load)
        columns = funnel.columns(self.facts.campaign)
        self.echo("")
        self.echo("Dossiers per state at the end of each day (sent: messages sent that day):")
        self.echo(funnel.header(columns))
        try:
            for day in days(self.first, self.last):
                self._live(day)
                found = queries.state_counts(self.app.database, self.facts.campaign.id)
                work = ", ".join(self.today.work)
                self.echo(funnel.line(day, columns, found, self.today.sent, work))
        finally:
            self.clockwork.close()
        self.echo("States:")
        for text in funnel.legend(self.facts.campaign, columns):
            self.echo(text)
        return self._finish()

    def _introduce(self) -> None:
        campaign, plan = self.facts.campaign, self.plan
        pupils = [p for h in self.households for p in h.pupils]
        no_mobile = sum(1 for h in self.households for g in h.guardians if not g.mobile)
        desk = "no new-pupil window"
        if self.facts.new_pupils is not None:
            window = campaign.windows[self.facts.new_pupils]
            desk = (f"{len(self.newcomers)} new pupils at the desk from "
                    f"{window.opens:%d/%m/%Y} to {window.closes:%d/%m/%Y}")  # fmt: skip
        self.echo(
            f"Simulating {campaign.id} ({campaign.site.name}) from {self.first:%d/%m/%Y} "
            f"to {self.last:%d/%m/%Y}, seed {plan.seed}"
        )
        self.echo(
            f"{len(self.households)} families, {len(pupils)} pupils "
            f"({sum(p.adult for p in pupils)} adults, {sum(p.eveil for p in pupils)} in éveil, "
            f"{sum(p.discipline == 'danse' for p in pupils)} dancers); "
            f"{no_mobile} guardians without a mobile; {desk}"
        )
        dealt = {h.persona: sum(f.persona is h.persona for f in self.families) for h in HABITS}
        self.echo("Personas: " + ", ".join(f"{p.value} {n}" for p, n in dealt.items() if n))

    def _import(self, now: dt.datetime) -> None:
        """``dacapo family import families.csv --site SITE``."""
        data = family_csv(self.households)
        (self.out / "families.csv").write_bytes(data)
        site, database = self.facts.campaign.site.code, self.app.database
        with database.unit_of_work(read_only=True) as uow:
            disciplines, cycles = site_catalog(uow.session, site) or (None, None)
        result = parse_families(data, source="families.csv", disciplines=disciplines, cycles=cycles)
        if result.problems:
            raise DacapoError("\n".join(str(p) for p in result.problems))
        with database.unit_of_work() as uow:
            done = import_families(uow.session, site, result.families, now=now)
            uow.commit()
        database.refresh_statistics()
        families, pupils = done.families.total, done.students.total
        text = f"family import families.csv: {families} families, {pupils} pupils"
        self.world.journal.done(now, "staff", text)

    def _load(self, now: dt.datetime) -> None:
        """``dacapo campaign load FILE``; then everyone makes plans."""
        with self.app.database.unit_of_work() as uow:
            outcome = load_campaign(uow.session, self.loaded, actor=STAFF_LOGIN, now=now)
            uow.commit()
        self.app.database.refresh_statistics()
        text = f"campaign load: version {outcome.version}, {outcome.opened} dossiers opened"
        self.world.journal.done(now, "staff", text)
        for family in self.families:
            family.start()
        self.staff.start(self.world.calendar.day_of(now) + ONE_DAY, self.last)
        self.staff.plan_desk(self.newcomers)

    def _live(self, day: dt.date) -> None:
        """Every round and every action of ``day``, in instant order."""
        self.today = _Day()
        calendar, agenda = self.world.calendar, self.world.agenda
        start, end = calendar.bounds(day)
        instants = {calendar.at(day, 8)}
        instants.update(item.due_at for item in self.clockwork.due_between(start, end))
        for instant in sorted(instants):
            agenda.plan(instant, "scheduler round", self._round)
        while (entry := agenda.next_before(end)) is not None:
            entry.action(entry.at)

    def _round(self, now: dt.datetime) -> None:
        done = self.clockwork.round(now)
        for item in done.done:
            shown = item.item.key if item.status == "done" else f"{item.item.key} ({item.status})"
            self.today.work.append(shown)
            self.world.journal.note(
                now, "scheduler", f"{item.item.key}: {item.status}: {item.outcome}"
            )
        if done.extensions_lapsed:
            self.today.work.append(f"{done.extensions_lapsed} lapsed (extension over)")
        if done.sent:
            self.world.journal.note(now, "outbox", f"{done.sent} messages sent")
        self.today.sent += done.sent
        for family in self.families:
            family.new_round()
        for mail in done.mail:
            if mail.family_ref in self.by_ref:
                self.by_ref[mail.family_ref].receive(mail, now)

    def _finish(self) -> Result:
        world, database = self.world, self.app.database
        end = world.calendar.bounds(self.last)[1]
        report = self.out / "report.html"
        _write_report(self.app, self.facts.campaign.id, end, report)
        journal = self.out / "journal.txt"
        journal.write_text("\n".join(world.journal.lines) + "\n", encoding="utf-8")
        outbox = Path(self.clockwork.folder)
        files = sorted(outbox.iterdir()) if outbox.is_dir() else []
        sections = [
            summary.personas(database, self.families),
            summary.staff(world, self.staff),
            summary.scheduler(world, database),
            summary.messages(database, "the outbox folder"),
            summary.refusals(world),
            summary.audit(world, database),
        ]
        for lines in sections:
            self.echo("")
            for text in lines:
                self.echo(text)
        return Result(
            unexpected=summary.unexpected(database, self.families),
            report=report,
            journal=journal,
            outbox=outbox,
            message_files=len(files),
            families=self.families,
            staff=self.staff,
        )


def _write_report(app: App, campaign_id: str, now: dt.datetime, path: Path) -> None:
    """The campaign report as it stands at the end, as one HTML page."""
    from dacapo.reports.build import build_report
    from dacapo.reports.output import write_report

    with app.database.unit_of_work(read_only=True) as uow:
        report = build_report(uow.session, campaign_id, now=now)
    with path.open("w", encoding="utf-8") as out:
        write_report(report, "html", out)
