"""The SMS gateway channel: one JSON POST per message, over HTTP(S).

The request::

    POST DACAPO_SMS_URL
    Authorization: Bearer DACAPO_SMS_TOKEN
    {"to": "+33612345678", "from": "MALAKOFF", "text": "...", "reference": KEY}

``reference`` is the outbox idempotency key, so a gateway that deduplicates
on it never delivers a message twice. The text goes as rendered: the renderer
has already counted its GSM-7 or UCS-2 segments.

How answers become a ``Delivery``: 2xx is sent (the gateway's message id, if
its JSON answer has one, goes in ``detail``); 429 is retried after its
``Retry-After`` (seconds or an HTTP date); 408, 5xx, a refused connection and
a timeout are retried; any other answer (4xx, a redirect) fails for good, with
the gateway's own message. ``RateLimiter`` spaces requests so the gateway
never sees more than ``rate`` per second from this process.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from dacapo import __version__
from dacapo.notifications.channels import Delivery, Outcome, SmsMessage
from dacapo.notifications.ratelimit import RateLimiter

if TYPE_CHECKING:
    from dacapo.bootstrap import Settings

MAX_BODY = 64 * 1024  # bytes of an answer read, at most
_ID_KEYS = ("id", "message_id", "messageId", "reference_id")
_MESSAGE_KEYS = ("message", "error_description", "error", "detail", "title")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirected POST would be replayed as a GET: report it instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def retry_after(value: str | None, now: dt.datetime) -> dt.timedelta | None:
    """A ``Retry-After`` header: delay-seconds, or an HTTP date (RFC 9110)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return dt.timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT
        when = when.replace(tzinfo=dt.UTC)
    return max(when - now, dt.timedelta(0))


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def gateway_message(body: bytes) -> str:
    """What the gateway said: a JSON ``message`` (or ``error``...), else the text."""
    data = _json(body)
    while isinstance(data, dict):
        found = next((data[k] for k in _MESSAGE_KEYS if data.get(k)), None)
        if isinstance(found, str):
            return found.strip()
        data = found
    text = " ".join(body.decode("utf-8", "replace").split())
    return text[:300]


def _gateway_id(body: bytes) -> str | None:
    data = _json(body)
    if isinstance(data, dict):
        for key in _ID_KEYS:
            if isinstance(data.get(key), str | int) and not isinstance(data.get(key), bool):
                return str(data[key])
    return None


class HttpSmsChannel:
    """``SmsChannel`` over an HTTP gateway; ``from_settings`` builds it from ``DACAPO_SMS_*``."""

    def __init__(
        self,
        url: str,
        token: str | None,
        sender: str | None,
        rate: float,
        timeout: float = 10.0,
        *,
        limiter: RateLimiter | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.url = url
        self.sender = sender
        self.timeout = timeout
        self.limiter = limiter or RateLimiter(rate)
        self._token = token
        self._now = now
        self._opener = urllib.request.build_opener(_NoRedirect())

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpSmsChannel | None:
        """The configured gateway, or None when ``DACAPO_SMS_URL`` is unset."""
        if settings.sms_url is None:
            return None
        token = settings.sms_token.get_secret_value() if settings.sms_token else None
        return cls(settings.sms_url, token, settings.sms_sender, settings.sms_rate)

    def _request(self, message: SmsMessage) -> urllib.request.Request:
        payload: dict[str, str] = {"to": message.recipient}
        if self.sender:
            payload["from"] = self.sender
        payload |= {"text": message.rendered.text, "reference": message.key}
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "User-Agent": f"dacapo/{__version__}",
        }
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return urllib.request.Request(self.url, data=body, headers=headers, method="POST")

    def send_sms(self, message: SmsMessage) -> Delivery:
        request = self._request(message)
        self.limiter.acquire()
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = response.read(MAX_BODY)
                status = response.status
        except urllib.error.HTTPError as error:
            with error:
                return self._refused(
                    error.code, error.headers.get("Retry-After"), error.read(MAX_BODY)
                )
        except urllib.error.URLError as error:
            return Delivery(Outcome.RETRY, f"SMS gateway unreachable: {error.reason}")
        except TimeoutError:
            return Delivery(Outcome.RETRY, f"SMS gateway timed out after {self.timeout:g} s")
        except OSError as error:  # reset, closed without an answer...
            return Delivery(Outcome.RETRY, f"SMS gateway connection failed: {error}")
        if not 200 <= status < 300:
            return self._refused(status, None, body)
        gateway_id = _gateway_id(body)
        detail = f"gateway id {gateway_id}" if gateway_id else f"accepted (HTTP {status})"
        return Delivery(Outcome.SENT, detail)

    def _refused(self, status: int, after: str | None, body: bytes) -> Delivery:
        said = gateway_message(body)
        detail = f"HTTP {status}" + (f": {said}" if said else "")
        if status == 429 or status == 408 or status >= 500:
            return Delivery(Outcome.RETRY, detail, retry_after=retry_after(after, self._now()))
        return Delivery(Outcome.FAILED, detail)

    def close(self) -> None:
        """Nothing to release: each message is one request."""
