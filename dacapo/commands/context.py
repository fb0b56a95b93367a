"""What every command shares: the global options and the clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import typer


@dataclass
class Globals:
    db: str | None = None
    now: dt.datetime | None = None
    quiet: bool = False


def globals_of(ctx: typer.Context) -> Globals:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Globals) else Globals()


def clock(ctx: typer.Context) -> dt.datetime:
    """The engine's current time: ``--now`` / ``DACAPO_NOW`` if given, else the real clock.

    Commands are entry points: the only place where the clock is read.
    """
    return globals_of(ctx).now or dt.datetime.now(dt.UTC)
