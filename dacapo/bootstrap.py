"""The composition root: settings from the environment become objects here.

Nothing is built at import time. Entry points (CLI, scheduler) call
``load_settings()`` then ``bootstrap(settings)`` and pass the resulting
``App`` around.

Settings (environment variables, prefix ``DACAPO_``):

- ``DACAPO_DATA_DIR``: where the SQLite file and uploaded documents live.
  Default ``./data``, relative to the *current directory* when the command
  runs (resolved to an absolute path by ``bootstrap``).
- ``DACAPO_DATABASE_URL``: ``postgresql://user@host/db`` for a shared
  PostgreSQL; unset (or empty) for ``DATA_DIR/dacapo.sqlite3``.
- ``DACAPO_ACTOR``: who acts (staff login) when the CLI is not told.
- ``DACAPO_NOW``: a fixed "now" with its offset (``2023-05-20T10:00:00+02:00``),
  for rehearsals and tests; unset means the real clock.
- ``DACAPO_MAX_UPLOAD_BYTES``: size limit of an uploaded document (10 MiB).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dacapo.engine.errors import BadInput
from dacapo.store.database import Database, open_database

ENV_PREFIX = "DACAPO_"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    data_dir: Path = Path("data")
    database_url: str | None = None
    actor: str | None = None
    now: dt.datetime | None = None
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0)

    @field_validator("database_url", "actor", "now", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("now")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.utcoffset() is None:
            raise ValueError("give a time zone offset, e.g. 2023-05-20T10:00:00+02:00")
        return value


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (``overrides`` win); errors name the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            name = ENV_PREFIX + "_".join(str(part) for part in problem["loc"]).upper()
            lines.append(f"{name}: {problem['msg']}")
        raise BadInput("\n".join(lines)) from error


@dataclass
class App:
    """What the entry points work with."""

    settings: Settings
    database: Database

    def now(self) -> dt.datetime:
        """``DACAPO_NOW`` if set, else the real clock (aware, UTC)."""
        return self.settings.now or dt.datetime.now(dt.UTC)

    def close(self) -> None:
        self.database.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def bootstrap(settings: Settings) -> App:
    """Open the database (migrating the default SQLite file) and wire the app."""
    data_dir = settings.data_dir.expanduser().resolve()
    settings = settings.model_copy(update={"data_dir": data_dir})
    return App(settings=settings, database=open_database(settings.database_url, data_dir))
