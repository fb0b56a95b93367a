"""The daily funnel as a stacked-area chart: geometry only, drawn as SVG by the template.

One chart per window: x is the day, y the number of dossiers; each state is a
band stacked on the ones below it. The success state sits at the bottom (the
band that should grow), then the open states from the last step back to the
first, then the other final states (withdrawn, lapsed) on top.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dacapo.reports.model import FunnelSeries, FunnelWindow

WIDTH, HEIGHT = 920, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 36  # margins around the plot
LEGEND_ROW = 22
SUCCESS_COLOUR = "#2e7d32"
# Open states in the workflow's order: the first (waiting for the family) in amber, then
# blues darkening towards success.
OPEN_COLOURS = ("#f6bf26", "#90caf9", "#42a5f5", "#1565c0", "#5c6bc0", "#26a69a", "#7986cb")
CLOSED_COLOURS = ("#9e9e9e", "#e57373", "#ffb74d", "#a1887f", "#ba68c8")


@dataclass(frozen=True, slots=True)
class Band:
    state: str
    label: str
    colour: str
    points: str  # the polygon's "x,y x,y ..." in SVG user units
    last: int  # dossiers on the last day
    peak: int


@dataclass(frozen=True, slots=True)
class Tick:
    at: float
    text: str


@dataclass(frozen=True, slots=True)
class LegendEntry:
    x: float
    y: float
    colour: str
    text: str


@dataclass(frozen=True, slots=True)
class Chart:
    key: str  # an id fragment: the window name
    title: str
    description: str
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    bands: tuple[Band, ...]  # bottom band first
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    legend: tuple[LegendEntry, ...]


def stacking_order(series: Sequence[FunnelSeries]) -> list[tuple[FunnelSeries, str]]:
    """The series bottom first, each with its colour."""
    success = [s for s in series if s.success]
    opened = [s for s in series if not s.final]
    still_open = [(s, OPEN_COLOURS[i % len(OPEN_COLOURS)]) for i, s in enumerate(opened)]
    closed = [s for s in series if s.final and not s.success]
    ordered = [(s, SUCCESS_COLOUR) for s in success]
    ordered += still_open[::-1]
    ordered += [(s, CLOSED_COLOURS[i % len(CLOSED_COLOURS)]) for i, s in enumerate(closed)]
    return ordered


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 2.5, 5 × 10^n that is ≥ ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power: int = 10 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0):
        if step * power >= value:
            return math.ceil(step * power)
    return 10 * power


def stacked_chart(window: FunnelWindow, days: Sequence[dt.date]) -> Chart:
    ordered = stacking_order(window.series)
    legend_rows = math.ceil(len(ordered) / 3)
    height = HEIGHT + legend_rows * LEGEND_ROW + 8
    left, right, top, bottom = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM
    n = len(days)
    totals = [sum(s.counts[i] for s, _ in ordered) for i in range(n)]
    top_value = nice_ceiling(max(totals, default=0))

    def x(i: int) -> float:
        return left + (right - left) * (i / (n - 1) if n > 1 else 0.0)

    def y(v: int) -> float:
        return bottom - (bottom - top) * v / top_value

    # One day only: a flat band across the whole width.
    xs = [x(i) for i in range(n)] if n > 1 else [left, right]
    column = list(range(n)) if n > 1 else [0, 0]
    below = [0] * len(xs)
    bands = []
    for series, colour in ordered:
        above = [b + series.counts[i] for b, i in zip(below, column, strict=True)]
        upper = [f"{px:.1f},{y(v):.1f}" for px, v in zip(xs, above, strict=True)]
        lower = [f"{px:.1f},{y(v):.1f}" for px, v in zip(xs[::-1], below[::-1], strict=True)]
        bands.append(
            Band(
                state=series.state,
                label=series.label,
                colour=colour,
                points=" ".join(upper + lower),
                last=series.counts[-1] if series.counts else 0,
                peak=max(series.counts, default=0),
            )
        )
        below = above
    first, last = (days[0], days[-1]) if days else (None, None)
    span = f" du {first:%d/%m/%Y} au {last:%d/%m/%Y}" if first and last else ""
    return Chart(
        key=window.window,
        title=f"Progression quotidienne — {window.label}",
        description=(
            f"Nombre de dossiers dans chaque état à la fin de chaque jour{span}, "
            "états empilés (dossiers aboutis en bas)."
        ),
        width=WIDTH,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        bands=tuple(bands),
        x_ticks=tuple(_x_ticks(days, x)),
        y_ticks=tuple(Tick(y(v), f"{v:,}".replace(",", "\u202f")) for v in _y_values(top_value)),
        legend=tuple(_legend(ordered, HEIGHT + 6)),
    )


def _x_ticks(days: Sequence[dt.date], x: Callable[[int], float]) -> list[Tick]:
    n = len(days)
    if n == 0:
        return []
    step = max(1, math.ceil(n / 8))
    picked = list(range(0, n, step))
    if picked[-1] != n - 1 and n - 1 - picked[-1] >= step / 2:
        picked.append(n - 1)
    with_year = days[0].year != days[-1].year
    fmt = "%d/%m/%y" if with_year else "%d/%m"
    if n == 1:
        return [Tick((LEFT + WIDTH - RIGHT) / 2, days[0].strftime("%d/%m/%Y"))]
    return [Tick(x(i), days[i].strftime(fmt)) for i in picked]


def _y_values(top_value: int) -> list[int]:
    step = top_value / 4
    return sorted({round(step * k) for k in range(5)})


def _legend(ordered: Sequence[tuple[FunnelSeries, str]], y0: float) -> list[LegendEntry]:
    """Three entries a row, in stacking order from the top band down (as read on the chart)."""
    column_width = (WIDTH - LEFT) / 3
    entries = []
    for i, (series, colour) in enumerate(ordered[::-1]):
        row, col = divmod(i, 3)
        entries.append(LegendEntry(LEFT + col * column_width, y0 + row * LEGEND_ROW, colour,
                                   series.label))  # fmt: skip
    return entries
