"""Email by SMTP: one connection reused across messages, reopened when dropped.

Security ``none``, ``starttls`` (upgrade after connecting, usually port 587)
or ``tls`` (implicit TLS, usually port 465); login when a user is set.

Outcomes: accepted → SENT; a 4xx reply, a refused connection, a dropped
connection or a timeout → RETRY; a 5xx reply → FAILED, with ``bounced`` when
the recipient itself was refused (550, 551, 553).

``begin_email`` does what ``smtplib.SMTP.sendmail`` does for one recipient,
in three steps, so that the caller works while the server does: it returns
once MAIL FROM is on its way; ``proceed()`` reads that reply and sends RCPT,
DATA and the message; what ``proceed()`` returns reads the server's reply to
the message. ``send_email`` is the three at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import smtplib
import ssl
from collections.abc import Callable
from functools import partial
from typing import Literal

from dacapo.notifications.channels import Delivery, EmailMessage, Exchange, Outcome, Reply, known
from dacapo.notifications.mime import envelope_sender, is_bare_address, mime_bytes

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


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _route(address: str) -> str:
    """``<address>``, as ``smtplib`` writes it in MAIL and RCPT (without parsing
    the common bare address again for every message)."""
    return f"<{address}>" if is_bare_address(address) else smtplib.quoteaddr(address)


def _abandon(smtp: smtplib.SMTP, code: int) -> None:
    """After a refusal, as ``sendmail`` does: drop the connection on 421, else RSET."""
    if code == 421:
        smtp.close()
        return
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        smtp.rset()


def _mail(smtp: smtplib.SMTP, sender: str, data: bytes) -> None:
    """MAIL FROM, as ``sendmail`` writes it; its reply is read by ``_rest``."""
    smtp.ehlo_or_helo_if_needed()
    size = f" size={len(data)}" if smtp.does_esmtp and smtp.has_extn("size") else ""
    smtp.putcmd("mail", f"FROM:{_route(sender)}{size}")


def _rest(smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """The rest of ``sendmail(sender, [recipient], data)`` after ``_mail``, up to,
    not including, the reply to the message itself (read by ``_end``); raises as
    ``sendmail`` does."""
    code, reply = smtp.getreply()
    if code != 250:
        _abandon(smtp, code)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    smtp.putcmd("rcpt", f"TO:{_route(recipient)}")
    code, reply = smtp.getreply()
    if code not in (250, 251):
        _abandon(smtp, code)
        raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        _abandon(smtp, code)
        raise smtplib.SMTPDataError(code, reply)
    body = _LEADING_DOT.sub(b"..", data)  # "transparency" (RFC 5321 4.5.2)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    smtp.send(body + b".\r\n")


def _end(smtp: smtplib.SMTP) -> None:
    """The server's reply to the message ``_rest`` sent: raises unless accepted."""
    code, reply = smtp.getreply()
    if code != 250:
        _abandon(smtp, code)
        raise smtplib.SMTPDataError(code, reply)


class _SmtpExchange:
    """One message over one ``SmtpChannel``, in steps (see the module docstring)."""

    def __init__(self, channel: SmtpChannel, recipient: str, data: bytes) -> None:
        self.channel, self.recipient, self.data = channel, recipient, data
        self.smtp: smtplib.SMTP | None = None
        self.error: smtplib.SMTPException | OSError | None = None  # while starting

    def start(self) -> None:
        try:
            self.smtp = self.channel._connection()
            _mail(self.smtp, self.channel.sender, self.data)
        except (smtplib.SMTPException, OSError) as error:
            self.error = error  # dealt with by proceed()

    def _exchange(self) -> smtplib.SMTP:
        if self.error is not None:
            raise self.error
        assert self.smtp is not None
        _rest(self.smtp, self.channel.sender, self.recipient, self.data)
        return self.smtp

    def proceed(self) -> Reply:
        channel = self.channel
        try:
            try:
                smtp = self._exchange()
            except smtplib.SMTPServerDisconnected:
                if not channel._used:
                    raise
                channel.close()  # an idle connection the server dropped: reopen once
                self.smtp, self.error = None, None
                self.start()
                smtp = self._exchange()
        except (smtplib.SMTPException, OSError) as error:
            return partial(known, channel._failure(error))
        return partial(channel._reply, smtp)

    def abandon(self) -> None:
        """Left half-way (the caller failed): the connection is of no further use."""
        self.channel.close()


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
        return self.begin_email(message).proceed()()

    def begin_email(self, message: EmailMessage) -> Exchange:
        """Start sending ``message``: MAIL FROM is on its way when this returns."""
        data = mime_bytes(message, self.mail_from, self.clock())
        exchange = _SmtpExchange(self, message.recipient, data)
        exchange.start()
        return exchange

    def _reply(self, smtp: smtplib.SMTP) -> Delivery:
        try:
            _end(smtp)
        except (smtplib.SMTPException, OSError) as error:
            return self._failure(error)
        self._used += 1
        return Delivery(Outcome.SENT)

    def _failure(self, error: smtplib.SMTPException | OSError) -> Delivery:
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            code, text = next(iter(error.recipients.values()), (550, b"refused"))
            return _by_code(code, text, recipient=True)
        if isinstance(error, _SERVER_REFUSALS):
            self.close()  # the server, not the message: try again later
            return Delivery(Outcome.RETRY, _reply(error.smtp_code, error.smtp_error))
        if isinstance(error, smtplib.SMTPResponseException):  # sender refused, DATA refused...
            if error.smtp_code == 421:
                self.close()
            return _by_code(error.smtp_code, error.smtp_error)
        self.close()  # dropped, refused, timeout, TLS
        return Delivery(Outcome.RETRY, f"{type(error).__name__}: {error}".rstrip(": "))

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
