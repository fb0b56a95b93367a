"""Which channels carry the messages, from the settings.

- email: SMTP when ``DACAPO_SMTP_HOST`` is set, else ``.eml`` files in
  ``<data_dir>/outbox/``;
- SMS: the HTTP gateway when ``DACAPO_SMS_URL`` is set, else ``.txt`` files
  in the same folder.

``--channel file`` or ``--channel console`` sends both through that channel
whatever is configured (a rehearsal).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from dacapo.notifications.channels import EmailChannel, SmsChannel
from dacapo.notifications.files import ConsoleChannel, FileChannel

if TYPE_CHECKING:
    from dacapo.bootstrap import Settings

Choice = Literal["auto", "file", "console"]
OUTBOX_FOLDER = "outbox"


@dataclass(frozen=True)
class Channels:
    email: EmailChannel
    sms: SmsChannel
    description: str  # « email by SMTP to mail.example.org:587, SMS to files in ... »


def outbox_folder(settings: Settings) -> str:
    return str(settings.data_dir / OUTBOX_FOLDER)


def configured_channels(
    settings: Settings, *, choice: Choice = "auto", clock: Callable[[], dt.datetime]
) -> Channels:
    folder = settings.data_dir / OUTBOX_FOLDER
    if choice == "console":
        console = ConsoleChannel(mail_from=settings.mail_from)
        return Channels(console, console, "email and SMS printed on the console")
    files = FileChannel(folder, settings.mail_from, clock=clock)
    email: EmailChannel = files
    sms: SmsChannel = files
    said = [f"email to .eml files in {folder}", f"SMS to .txt files in {folder}"]
    if choice == "auto" and settings.smtp_host:
        from dacapo.notifications.smtp import SmtpChannel

        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        email = SmtpChannel(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_security,
            settings.smtp_user,
            password,
            settings.mail_from,
            clock=clock,
        )
        said[0] = f"email by SMTP to {settings.smtp_host}:{settings.smtp_port}"
    if choice == "auto" and settings.sms_url:
        from dacapo.notifications.sms import HttpSmsChannel

        gateway = HttpSmsChannel.from_settings(settings)
        if gateway is not None:
            sms = gateway
            said[1] = f"SMS by the gateway {settings.sms_url}"
    return Channels(email, sms, ", ".join(said))
