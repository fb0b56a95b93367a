"""Shared bench helpers: timing, memory, machine description, result tables."""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Figure:
    name: str
    seconds: float
    count: int
    baseline_seconds: float | None = None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else float("inf")

    @property
    def ratio(self) -> float | None:
        """Our speed as a fraction of the baseline's (1.0 = as fast)."""
        if self.baseline_seconds is None or not self.seconds:
            return None
        return self.baseline_seconds / self.seconds


@dataclass
class Report:
    title: str
    figures: list[Figure] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        ratio = f", {figure.ratio:.0%} of baseline" if figure.ratio is not None else ""
        print(
            f"  {figure.name}: {figure.seconds:.2f} s for {figure.count:,} "
            f"({figure.rate:,.0f}/s{ratio}){' — ' + figure.note if figure.note else ''}",
            flush=True,
        )
        return figure

    def markdown(self) -> str:
        lines = [
            f"### {self.title}",
            "",
            "| measure | count | time (s) | rate (/s) | baseline (s) | ratio | note |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for f in self.figures:
            base = f"{f.baseline_seconds:.2f}" if f.baseline_seconds is not None else "—"
            ratio = f"{f.ratio:.0%}" if f.ratio is not None else "—"
            lines.append(
                f"| {f.name} | {f.count:,} | {f.seconds:.2f} | {f.rate:,.0f} | {base} | "
                f"{ratio} | {f.note} |"
            )
        return "\n".join(lines) + "\n"


@contextmanager
def timed() -> Iterator[list[float]]:
    """``with timed() as t: ...`` then ``t[0]`` holds the seconds."""
    out: list[float] = []
    start = time.perf_counter()
    try:
        yield out
    finally:
        out.append(time.perf_counter() - start)


def reset_peak_memory() -> float:
    """Start ``peak_memory_mb`` again from the memory this process holds now (Linux
    ``clear_refs`` 5), to measure one step of a process that did others before it;
    returns what it holds now (MB), which the step's peak includes."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        pass
    return _status_mb("VmRSS:") or 0.0


def _status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return None


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    ``VmHWM`` of ``/proc/self/status``: the high-water mark of this process's
    own memory. ``getrusage``'s ``ru_maxrss`` is not: Linux carries it over a
    ``fork`` and ``exec``, so a worker started by a large parent (``make bench``
    holds the generated families) would report the parent's peak.
    """
    found = _status_mb("VmHWM:")
    return found if found is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {sys.version.split()[0]}"
    )


POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def arguments(doc: str) -> argparse.ArgumentParser:
    """The options every suite takes (``--pupils``, ``--postgres``, ``--no-postgres``,
    ``--markdown``); a suite adds its own."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=100_000)
    parser.add_argument("--postgres", default=POSTGRES, metavar="URL")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--markdown", type=Path)
    return parser


def on_both(args: argparse.Namespace, run: Callable[[str, str | None, bytes], Report]) -> None:
    """``run`` on SQLite, then on PostgreSQL unless ``--no-postgres``, with the same
    generated families; the reports written to ``--markdown`` if given."""
    from bench.generate import family_csv  # imports dacapo: not for the worker processes

    print(machine())
    data = family_csv(args.pupils)
    reports = [run("sqlite", None, data)]
    if not args.no_postgres:
        reports.append(run("postgresql", args.postgres, data))
    if args.markdown:
        args.markdown.write_text("\n".join(r.markdown() for r in reports), encoding="utf-8")
