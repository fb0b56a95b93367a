"""Every benchmark, end to end, written to ``bench/RESULTS.md`` (``make bench``).

    .venv/bin/python -m bench.all [--pupils 100000] [--growth 10000,30000]
        [--postgres URL | --no-postgres] [--out bench/RESULTS.md]

At ``--pupils`` (about 2.5 pupils a family), on SQLite and on PostgreSQL: family
import, campaign load, sequential ``fire``, dossier lists (``bench.dossier_engine``);
the reminder sweep (``bench.sweep``); closing a window (``bench.closing``); the
report (``bench.report``); outbox dispatch of 5,000 emails to a local SMTP
server (``bench.dispatch``); and ``dacapo --help`` against a bare ``python -c
"import typer"``. Each figure comes with the baseline measured in the same run.
Then the growth table: the same SQLite benchmarks at each ``--growth`` size,
beside the full-size run. Not a test: it prints figures and writes the file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import closing, dispatch, dossier_engine, report, sweep
from bench.common import Figure, Report, machine
from bench.generate import family_csv

ROOT = Path(__file__).parents[1]
Suite = Callable[[str, str | None, int, bytes], Report]
SUITES: list[tuple[str, Suite]] = [
    ("engine", lambda kind, pg, n, data: dossier_engine.run(kind, pg, n, 2_000, data)),
    ("sweep", sweep.run),
    ("closing", closing.run),
    ("report", report.run),
]


def best_of(command: list[str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def startup() -> Report:
    found = Report("start-up")
    print(f"\n{found.title}", flush=True)
    typer = best_of([sys.executable, "-c", "import typer"])
    ours = best_of([str(Path(sys.executable).with_name("dacapo")), "--help"])
    found.add(
        Figure("dacapo --help (best of 7)", ours, 1, typer, "baseline: python -c 'import typer'")
    )
    return found


def dispatching(kind: str, postgres: str | None) -> Report:
    found = Report(f"outbox dispatch, {kind}, 5,000 emails")
    print(f"\n{found.title}", flush=True)
    dispatch.measure(kind, postgres, 5_000, found)
    return found


def postgres_version(url: str) -> str:
    from sqlalchemy import text

    from dacapo.store.engines import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar_one()
    finally:
        engine.dispose()
    return f"{version} on {url.rsplit('@', 1)[-1]}"


# The aims the issues set: (figure name or prefix, at most seconds, at least ratio, at most MB).
AIMS: list[tuple[str, float | None, float | None, float | None]] = [
    ("family import (CLI)", 30, None, None),
    ("campaign load (CLI)", 30, None, None),
    ("sequential fire, 1 txn each", None, 0.30, None),
    ("send_reminder one_week_left (messages)", 10, None, 300),
    ("send_reminder documents_missing (messages)", 10, None, 300),
    ("close_window (state, audit row, notices)", 10, 0.25, 300),
    ("report --format", 3, None, 300),
]


def aims_table(reports: list[Report]) -> str:
    """Each figure an issue set an aim for, and whether it is met."""
    lines = [
        "### Aims",
        "",
        "| suite | measure | time (s) | ratio | peak (MB) | aim | met |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for found in reports:
        for figure in found.figures:
            for name, seconds, ratio, memory in AIMS:
                if not figure.name.startswith(name):
                    continue
                peak_text = re.search(r"peak (\d+) MB", figure.note)
                peak = float(peak_text.group(1)) if peak_text else None
                wanted, met = [], True
                if seconds is not None:
                    wanted.append(f"< {seconds:g} s")
                    met &= figure.seconds < seconds
                if ratio is not None:
                    wanted.append(f"≥ {ratio:.0%} of baseline")
                    met &= figure.ratio is not None and figure.ratio >= ratio
                if memory is not None and peak is not None:
                    wanted.append(f"< {memory:g} MB")
                    met &= peak < memory
                lines.append(
                    f"| {found.title} | {figure.name} | {figure.seconds:.2f} | "
                    + (f"{figure.ratio:.0%}" if figure.ratio is not None else "—")
                    + f" | {peak if peak is not None else '—'} | {', '.join(wanted)} | "
                    + ("yes" if met else "**no**")
                    + " |"
                )
    return "\n".join(lines) + "\n"


def growth_table(by_size: dict[int, list[Report]]) -> str:
    sizes = sorted(by_size)
    names: dict[str, dict[int, Figure]] = {}
    for size in sizes:
        for suite in by_size[size]:
            for figure in suite.figures:
                names.setdefault(figure.name, {})[size] = figure
    head = " | ".join(f"{size:,} (s)" for size in sizes)
    lines = [
        "### Growth (SQLite)",
        "",
        "Seconds per measure at each size, and how the cost grew from the smallest size to the",
        "largest compared with the number of pupils (1.0 = linear; below 1: better than linear).",
        "",
        f"| measure | {head} | per-item cost, largest vs smallest |",
        "| --- | " + " | ".join("---:" for _ in sizes) + " | ---: |",
    ]
    for name, figures in names.items():
        if len(figures) < len(sizes):
            continue
        cells = " | ".join(f"{figures[s].seconds:.2f}" for s in sizes)
        small, large = figures[sizes[0]], figures[sizes[-1]]
        per_item = (
            (large.seconds / large.count) / (small.seconds / small.count)
            if small.count and large.count and small.seconds
            else float("nan")
        )
        lines.append(f"| {name} | {cells} | {per_item:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=100_000)
    parser.add_argument("--growth", default="10000,30000", help="smaller sizes, comma-separated")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    started = time.perf_counter()
    described = machine()
    print(described, flush=True)
    kinds: list[tuple[str, str | None]] = [("sqlite", None)]
    if not args.no_postgres:
        kinds.append(("postgresql", args.postgres))
    data = family_csv(args.pupils)
    main_reports: list[Report] = [startup()]
    by_size: dict[int, list[Report]] = {}
    for kind, postgres in kinds:
        for _, suite in SUITES:
            found = suite(kind, postgres, args.pupils, data)
            main_reports.append(found)
            if kind == "sqlite":
                by_size.setdefault(args.pupils, []).append(found)
        main_reports.append(dispatching(kind, postgres))
    for size in [int(s) for s in args.growth.split(",") if s.strip()]:
        smaller = family_csv(size)
        by_size[size] = [suite("sqlite", None, size, smaller) for _, suite in SUITES]
    minutes = (time.perf_counter() - started) / 60
    command = "make bench" + (
        "" if args.pupils == 100_000 else f" (python -m bench.all --pupils {args.pupils})"
    )
    text = [
        "# Benchmark results",
        "",
        f"Produced by `{command}` on {dt.date.today():%Y-%m-%d} in {minutes:.0f} minutes.",
        f"Machine: {described}.",
        f"PostgreSQL: {'not run' if args.no_postgres else postgres_version(args.postgres)}.",
        "",
        "Each figure is beside its baseline measured in the same run, on the same database:",
        "raw SQL doing the same writes (or a plain library doing the same work); *ratio* is our",
        "speed as a share of the baseline's (100% = as fast). Peak memory is in the notes.",
        f"{args.pupils:,} pupils make about {args.pupils * 2 // 5:,} families.",
        "",
        aims_table(main_reports),
        *(r.markdown() for r in main_reports),
        growth_table(by_size),
    ]
    args.out.write_text("\n".join(text), encoding="utf-8")
    print(f"\nWrote {args.out} ({minutes:.0f} min)")


if __name__ == "__main__":
    main()
