"""Email by SMTP: one connection reused across messages, reopened when dropped.

Security ``none``, ``starttls`` (upgrade after connecting, usually port 587)
or ``tls`` (implicit TLS, usually port 465); login when a user is set.

Outcomes: accepted → SENT; a 4xx reply, a refused connection, a dropped
connection or a timeout → RETRY; a 5xx reply → FAILED, with ``bounced`` when
the recipient itself was refused (550, 551, 553).
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Callable
from typing import Literal

from dacapo.notifications.channels import Delivery, EmailMessage, Outcome
from dacapo.notifications.mime import envelope_sender, mime_bytes

Security = Literal["none", "starttls", "tls"]
BOUNCE_CODES = frozenset({550, 551, 553})
TIMEOUT = 30.0
# Refusals of the connection or the login, not of the message: try again later.
_SERVER_REFUSALS = (
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"SMTP {code} {words}".strip()


def _by_code(code: int, text: bytes | str, *, recipient: bool = False) -> Delivery:
    detail = _reply(code, text)
    if 400 <= code < 500:
        return Delivery(Outcome.RETRY, detail)
    return Delivery(Outcome.FAILED, detail, bounced=recipient and code in BOUNCE_CODES)


class SmtpChannel:
    """An ``EmailChannel`` over SMTP. Not thread-safe: one per dispatcher."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        security: Security = "none",
        user: str | None = None,
        password: str | None = None,
        mail_from: str = "Conservatoire <noreply@localhost>",
        *,
        timeout: float = TIMEOUT,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        if security not in ("none", "starttls", "tls"):
            raise ValueError(f"unknown SMTP security {security!r} (none, starttls or tls)")
        self.host, self.port, self.security = host, port, security
        self.user, self.password = user, password
        self.mail_from = mail_from
        self.sender = envelope_sender(mail_from)
        self.timeout = timeout
        self.clock = clock
        self._smtp: smtplib.SMTP | None = None
        self._used = 0  # messages sent on the current connection

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            context = ssl.create_default_context()
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password or "")
        except BaseException:
            smtp.close()
            raise
        self._used = 0
        return smtp

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None or self._smtp.sock is None:  # smtplib closes it after a 421
            self._smtp = self._connect()
        return self._smtp

    def send_email(self, message: EmailMessage) -> Delivery:
        data = mime_bytes(message, self.mail_from, self.clock())
        try:
            try:
                self._connection().sendmail(self.sender, [message.recipient], data)
            except smtplib.SMTPServerDisconnected:
                if not self._used:
                    raise
                self.close()  # an idle connection the server dropped: reopen once
                self._connection().sendmail(self.sender, [message.recipient], data)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()), (550, b"refused"))
            return _by_code(code, text, recipient=True)
        except _SERVER_REFUSALS as error:
            self.close()  # the server, not the message: try again later
            return Delivery(Outcome.RETRY, _reply(error.smtp_code, error.smtp_error))
        except smtplib.SMTPResponseException as error:  # sender refused, DATA refused, ...
            if error.smtp_code == 421:
                self.close()
            return _by_code(error.smtp_code, error.smtp_error)
        except (smtplib.SMTPException, OSError) as error:  # dropped, refused, timeout, TLS
            self.close()
            return Delivery(Outcome.RETRY, f"{type(error).__name__}: {error}".rstrip(": "))
        self._used += 1
        return Delivery(Outcome.SENT)

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            if smtp.sock is not None:
                smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            smtp.close()
