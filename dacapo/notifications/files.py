"""Channels that keep messages instead of sending them: a folder, or the console.

The file channel is the default (no ``DACAPO_SMTP_HOST``): each email becomes
``<hash>.eml`` (the full MIME message, openable in any mail client) and each
SMS ``<hash>.txt``, named after the message's idempotency key, so that
sending a message again rewrites the same file. Files are written atomically
(a temporary file renamed into place).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from dacapo.notifications.channels import Delivery, EmailMessage, Outcome, SmsMessage
from dacapo.notifications.mime import key_hash, mime_bytes

DEFAULT_FROM = "Conservatoire <noreply@localhost>"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def sms_text(message: SmsMessage) -> str:
    rendered = message.rendered
    return (
        f"To: {message.recipient}\n"
        f"Key: {message.key}\n"
        f"Segments: {rendered.segments} ({rendered.encoding}, {rendered.length} units)\n"
        f"\n{rendered.text}\n"
    )


class FileChannel:
    """An ``EmailChannel`` and ``SmsChannel`` writing into ``folder``."""

    def __init__(
        self,
        folder: Path,
        mail_from: str = DEFAULT_FROM,
        *,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.folder = Path(folder)
        self.mail_from = mail_from
        self.clock = clock

    def _write(self, name: str, data: bytes) -> Delivery:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomically(self.folder / name, data)
        except OSError as error:  # a full disk, a permission: try again later
            return Delivery(Outcome.RETRY, f"{type(error).__name__}: {error}")
        return Delivery(Outcome.SENT, str(self.folder / name))

    def send_email(self, message: EmailMessage) -> Delivery:
        data = mime_bytes(message, self.mail_from, self.clock())
        return self._write(f"{key_hash(message.key)}.eml", data)

    def send_sms(self, message: SmsMessage) -> Delivery:
        return self._write(f"{key_hash(message.key)}.txt", sms_text(message).encode())

    def close(self) -> None:
        pass


class ConsoleChannel:
    """Prints each message (``dacapo outbox dispatch --channel console``)."""

    def __init__(self, out: TextIO | None = None, mail_from: str = DEFAULT_FROM) -> None:
        self.out = out
        self.mail_from = mail_from

    def _print(self, text: str) -> Delivery:
        out = self.out or sys.stdout
        out.write(text)
        out.flush()
        return Delivery(Outcome.SENT)

    def send_email(self, message: EmailMessage) -> Delivery:
        rendered = message.rendered
        return self._print(
            f"--- email {message.key}\nFrom: {self.mail_from}\nTo: {message.recipient}\n"
            f"Subject: {rendered.subject}\n\n{rendered.text}\n"
        )

    def send_sms(self, message: SmsMessage) -> Delivery:
        return self._print(f"--- sms {message.key}\n{sms_text(message)}\n")

    def close(self) -> None:
        pass
