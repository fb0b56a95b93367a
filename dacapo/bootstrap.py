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

Notifications (read by ``dacapo outbox dispatch`` and ``dacapo notify``):

- ``DACAPO_SMTP_HOST``: the mail server; unset, email goes to the file channel
  under the data directory. ``DACAPO_SMTP_PORT`` (25), ``DACAPO_SMTP_SECURITY``
  (``none``, ``starttls`` or ``tls``), ``DACAPO_SMTP_USER`` and
  ``DACAPO_SMTP_PASSWORD`` (login, when the server asks for one).
- ``DACAPO_MAIL_FROM``: the sender, ``Conservatoire de Malakoff <scolarite@example.org>``.
- ``DACAPO_SMS_URL``: the SMS gateway (http or https); unset, no SMS is sent.
  ``DACAPO_SMS_TOKEN`` (sent as a Bearer token), ``DACAPO_SMS_SENDER`` (the
  sender ID shown on phones: at most 11 letters or digits) and
  ``DACAPO_SMS_RATE`` (messages per second, 5 by default).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dacapo.engine.errors import BadInput
from dacapo.store.database import Database, open_database

ENV_PREFIX = "DACAPO_"
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)
_SENDER_ID = re.compile(r"^[A-Za-z0-9]{1,11}$")
_OPTIONAL = (
    "database_url", "actor", "now", "smtp_host", "smtp_user", "smtp_password",
    "sms_url", "sms_token", "sms_sender",
)  # fmt: skip


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    data_dir: Path = Path("data")
    database_url: str | None = None
    actor: str | None = None
    now: dt.datetime | None = None
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0)

    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "Conservatoire <noreply@localhost>"
    sms_url: str | None = None
    sms_token: SecretStr | None = None
    sms_sender: str | None = None
    sms_rate: float = Field(default=5.0, gt=0, allow_inf_nan=False)

    @field_validator(*_OPTIONAL, mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("smtp_host", "smtp_user", "sms_url", "sms_sender", "mail_from")
    @classmethod
    def _stripped(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None

    @field_validator("mail_from")
    @classmethod
    def _mail_address(cls, value: str) -> str:
        _, address = parseaddr(value)
        if "\n" in value or "\r" in value or not _ADDRESS.match(address):
            raise ValueError(
                "give an email address, with a name if you like:"
                " Conservatoire de Malakoff <scolarite@example.org>"
            )
        return value

    @field_validator("sms_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(
                    "give an http:// or https:// URL, e.g. https://sms.example.org/send"
                )
        return value

    @field_validator("sms_sender")
    @classmethod
    def _sender_id(cls, value: str | None) -> str | None:
        if value is not None and not _SENDER_ID.match(value):
            raise ValueError("an SMS sender ID is 1 to 11 letters or digits, e.g. MALAKOFF")
        return value

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
            message = problem["msg"]
            if problem["type"] == "value_error":  # our own sentence, without pydantic's prefix
                message = str(problem.get("ctx", {}).get("error", message))
            lines.append(f"{name}: {message}")
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
