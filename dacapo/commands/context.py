"""What every command shares: the global options and the clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import typer


@dataclass
class Globals:
    db: str | None = None
    now: dt.datetime | None = None
    quiet: bool = False


def globals_of(ctx: typer.Context) -> Globals:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Globals) else Globals()


def parse_now(value: str | None) -> dt.datetime | None:
    """An ISO-8601 instant with its UTC offset (``--now``); naive ones are refused."""
    if value is None:
        return None
    try:
        now = dt.datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO-8601 date-time") from None
    if now.tzinfo is None:
        raise typer.BadParameter(f"{value!r} has no UTC offset (e.g. 2023-05-15T10:00:00+02:00)")
    return now


def clock(ctx: typer.Context) -> dt.datetime:
    """The engine's current time: ``--now`` / ``DACAPO_NOW`` if given, else the real clock.

    Commands are entry points: the only place where the clock is read.
    """
    return globals_of(ctx).now or dt.datetime.now(dt.UTC)


if TYPE_CHECKING:
    from dacapo.bootstrap import App
    from dacapo.rules.snapshot import Actor


def open_app(ctx: typer.Context) -> App:
    """Settings from the environment, ``--db`` and ``--now`` winning; the database opened.

    The default SQLite file is created and migrated on first use. An argument holding a
    NUL character is refused first (``refuse_nul``).
    """
    from dacapo.bootstrap import bootstrap, load_settings

    refuse_nul(ctx)
    options = globals_of(ctx)
    overrides: dict[str, object] = {}
    if options.db:
        overrides["database_url"] = options.db
    if options.now:
        overrides["now"] = options.now
    app = bootstrap(load_settings(**overrides))
    app.database.simulated_clock = app.settings.now is not None
    return app


def refuse_nul(ctx: typer.Context) -> None:
    """``BadInput`` naming the first argument or option of the command line that holds a
    NUL character.

    No text may hold one: PostgreSQL refuses it in any text, even a value looked up
    (psycopg.DataError), and SQLite would store it. No shell passes one in an argument,
    but an in-process caller can.
    """
    from dacapo.engine.errors import BadInput

    current: Any = ctx  # typer's Context, then its parents (typer's own click)
    while current is not None:
        for param in current.command.params:
            value = current.params.get(param.name or "")
            values = value if isinstance(value, list | tuple) else [value]
            if any(isinstance(v, str | PurePath) and "\x00" in str(v) for v in values):
                named = param.param_type_name == "option"
                name = param.opts[0] if named else (param.name or "").upper()
                raise BadInput(f"{name}: holds a NUL character (U+0000), which no text may hold")
        current = current.parent


def staff_login() -> str:
    """The staff member running the command: ``DACAPO_ACTOR``, else the OS user."""
    import getpass
    import os

    explicit = os.environ.get("DACAPO_ACTOR", "").strip()
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "staff"


def parse_actor(value: str | None) -> Actor:
    """``--actor guardian:EMAIL`` or ``student:REF`` (an action taken for a family);
    without it, the staff member running the command."""
    from dacapo.campaigns.schema import Role
    from dacapo.engine.errors import BadInput
    from dacapo.engine.texts import MAX_EMAIL, checked_text
    from dacapo.rules.snapshot import Actor

    if value is None or not value.strip():
        return Actor(Role.STAFF, staff_login())
    kind, _, who = value.partition(":")
    roles = {"guardian": Role.GUARDIAN, "student": Role.ADULT_STUDENT, "staff": Role.STAFF}
    if kind not in roles or not who.strip():
        raise BadInput(f"--actor {value!r}: write guardian:EMAIL, student:REF or staff:LOGIN")
    return Actor(roles[kind], checked_text(who.strip(), "--actor", limit=MAX_EMAIL))


def log(**bound: object) -> Any:
    """The structlog logger of the commands, with ``bound`` context (campaign, dossier...)."""
    import structlog

    return structlog.get_logger("dacapo").bind(**bound)
