"""The report as rich tables, for a terminal (``--format table``, the default)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from dacapo.reports.model import Report
from dacapo.reports.text import day, guardians_text, instant, percent


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    """A table of plain text: cells are ``Text``, never parsed as rich markup (a name
    holding ``[red]`` is shown as written), which also spares the parsing."""
    table = Table(title=Text(title), title_justify="left", title_style="bold")
    for column in columns:
        numeric = column in NUMERIC
        table.add_column(Text(column), justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    return table


NUMERIC = frozenset(
    {"Dossiers", "Aboutis", "Taux", "Ouverts", "En attente", "En cours", "Envoyés", "Échecs",
     "Annulés", "Total"}
)  # fmt: skip


def render_text(report: Report, console: Console) -> None:
    """Every section of ``report``, one table each, on ``console``."""
    r = report
    heading = Text(r.title, style="bold")
    heading.append(f" — {r.site} ({r.campaign}, version {r.version})", style="")
    console.print(heading)
    console.print(
        Text(
            f"Établi le {instant(r.generated_at)} ({r.timezone}) : {r.dossiers} dossiers, "
            f"{r.succeeded} aboutis ({percent(r.completion)}), {r.still_open} encore ouverts"
        )
    )
    console.print()
    states = []
    for w in r.windows:
        for s in w.states:
            states.append((w.label, s.label, s.dossiers, "final" if s.final else ""))
        states.append(
            (
                w.label,
                f"Total ({percent(w.completion)} aboutis)",
                w.dossiers,
                f"{w.still_open} ouverts",
            )
        )
    console.print(
        _table("Dossiers par fenêtre et par état", ["Fenêtre", "État", "Dossiers", ""], states)
    )
    for title, lines in (("Taux d'aboutissement par discipline", r.by_discipline),
                         ("Taux d'aboutissement par cycle", r.by_cycle)):  # fmt: skip
        rates = [(c.label, c.dossiers, c.succeeded, percent(c.completion)) for c in lines]
        console.print(_table(title, ["", "Dossiers", "Aboutis", "Taux"], rates))
    calls = [
        (day(c.deadline) if c.deadline else "—", c.ref, c.student, c.family, c.state_label,
         c.lacks.replace(" ; ", "\n"), guardians_text(c.guardians, "\n"))
        for c in r.call_list
    ]  # fmt: skip
    console.print(
        _table(
            f"Dossiers à relancer{_shown(len(r.call_list), r.call_list_total)}",
            ["Échéance", "Dossier", "Élève", "Famille", "État", "Ce qui manque", "Responsables"],
            calls,
        )
    )
    owed = [
        (day(o.due), o.label, o.ref, o.student, o.family, o.state_label,
         guardians_text(o.guardians, "\n"))
        for o in r.deferred
    ]  # fmt: skip
    console.print(
        _table(
            f"Documents différés non fournis{_shown(len(r.deferred), r.deferred_total)}",
            ["À remettre le", "Document", "Dossier", "Élève", "Famille", "État", "Responsables"],
            owed,
        )
    )
    messages = [
        (m.event, m.template, m.channel, m.pending, m.sending, m.sent, m.failed, m.cancelled,
         m.total)
        for m in r.messages
    ]  # fmt: skip
    console.print(
        _table(
            "Messages",
            ["Événement", "Modèle", "Canal", "En attente", "En cours", "Envoyés", "Échecs",
             "Annulés", "Total"],
            messages,
        )
    )  # fmt: skip
    for window in r.funnel.windows:
        columns = ["Jour", *(s.label for s in window.series)]
        rows: list[tuple[object, ...]] = [
            (day(d), *(s.counts[i] for s in window.series)) for i, d in enumerate(r.funnel.days)
        ]
        console.print(_table(f"Progression quotidienne — {window.label}", columns, rows))
    if not r.funnel.windows:
        console.print(Text("Progression quotidienne : aucune ligne d'audit jusqu'à cette date."))


def _shown(shown: int, total: int) -> str:
    if shown == total:
        return f" ({total})"
    return f" ({shown} premiers sur {total} ; --limit 0 ou --format csv pour tous)"
