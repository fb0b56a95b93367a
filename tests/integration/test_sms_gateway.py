"""The SMS channel against a real HTTP server on loopback, scripted per test."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dacapo.notifications.channels import Outcome, SmsMessage
from dacapo.notifications.render import RenderedSms
from dacapo.notifications.sms import HttpSmsChannel

TOKEN = "t0ken-for-tests"
TEXT = "Conservatoire de Malakoff : la réinscription de Léa n'est pas terminée."


@dataclass
class Answer:
    status: int = 200
    body: Any = field(default_factory=lambda: {"id": "gw-1"})
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Arrival:
    at: float  # time.monotonic() when the server read the request
    headers: dict[str, str]
    body: dict[str, Any]


class Gateway:
    """What the fake gateway received, and the script of what it answers."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self.answer: Callable[[dict[str, Any]], Answer] = lambda body: Answer()
        self.lock = threading.Lock()
        self.url = ""


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            at = time.monotonic()
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length).decode("utf-8"))
            with gateway.lock:
                gateway.arrivals.append(Arrival(at, dict(self.headers.items()), body))
            answer = gateway.answer(body)
            payload = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body)
            data = payload if isinstance(payload, bytes) else payload.encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    fake = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def channel(url: str, rate: float = 50.0, timeout: float = 5.0) -> HttpSmsChannel:
    return HttpSmsChannel(url, TOKEN, "MALAKOFF", rate, timeout=timeout)


def sms(key: str = "reminder:F0100:sms:+33612345678") -> SmsMessage:
    return SmsMessage(key, "+33612345678", RenderedSms(TEXT, 1, "gsm7", len(TEXT), ()))


def test_an_accepted_message_is_sent_with_its_json_body_and_bearer_token(
    gateway: Gateway,
) -> None:
    gateway.answer = lambda body: Answer(200, {"id": "gw-42", "status": "queued"})
    delivery = channel(gateway.url).send_sms(sms())
    assert delivery.outcome is Outcome.SENT
    assert "gw-42" in delivery.detail
    (arrival,) = gateway.arrivals
    assert arrival.headers["Authorization"] == f"Bearer {TOKEN}"
    assert arrival.headers["Content-Type"].startswith("application/json")
    assert arrival.body == {
        "to": "+33612345678",
        "from": "MALAKOFF",
        "text": TEXT,
        "reference": "reminder:F0100:sms:+33612345678",
    }


def test_an_accepted_message_without_a_gateway_id_is_sent_all_the_same(gateway: Gateway) -> None:
    gateway.answer = lambda body: Answer(202, b"")
    delivery = channel(gateway.url).send_sms(sms())
    assert (delivery.outcome, delivery.detail) == (Outcome.SENT, "accepted (HTTP 202)")


def test_too_many_requests_is_retried_after_the_servers_delay(gateway: Gateway) -> None:
    gateway.answer = lambda body: Answer(429, {"message": "slow down"}, {"Retry-After": "7"})
    delivery = channel(gateway.url).send_sms(sms())
    assert delivery.outcome is Outcome.RETRY
    assert delivery.retry_after == dt.timedelta(seconds=7)
    assert "429" in delivery.detail
    assert "slow down" in delivery.detail


def test_a_retry_after_given_as_a_date_is_honoured(gateway: Gateway) -> None:
    now = dt.datetime(2023, 5, 15, 8, 0, tzinfo=dt.UTC)
    later = "Mon, 15 May 2023 08:01:30 GMT"
    gateway.answer = lambda body: Answer(429, {}, {"Retry-After": later})
    sender = HttpSmsChannel(gateway.url, TOKEN, "MALAKOFF", 50, now=lambda: now)
    assert sender.send_sms(sms()).retry_after == dt.timedelta(seconds=90)


def test_a_server_error_is_retried(gateway: Gateway) -> None:
    gateway.answer = lambda body: Answer(500, {"error": "internal"})
    delivery = channel(gateway.url).send_sms(sms())
    assert delivery.outcome is Outcome.RETRY
    assert delivery.retry_after is None
    assert delivery.detail == "HTTP 500: internal"


def test_a_rejected_message_fails_for_good_with_the_gateways_reason(gateway: Gateway) -> None:
    reason = {"message": "invalid destination number"}
    gateway.answer = lambda body: Answer(400, reason)
    delivery = channel(gateway.url).send_sms(sms())
    assert delivery.outcome is Outcome.FAILED
    assert delivery.detail == "HTTP 400: invalid destination number"


def test_a_refused_connection_is_retried() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    delivery = channel(f"http://127.0.0.1:{port}/v1/sms").send_sms(sms())
    assert delivery.outcome is Outcome.RETRY
    assert "unreachable" in delivery.detail


def test_a_gateway_that_does_not_answer_in_time_is_retried(gateway: Gateway) -> None:
    def stall(body: dict[str, Any]) -> Answer:
        time.sleep(1.0)
        return Answer()

    gateway.answer = stall
    delivery = channel(gateway.url, timeout=0.2).send_sms(sms())
    assert delivery.outcome is Outcome.RETRY
    assert "timed out" in delivery.detail


def test_the_rate_limit_is_never_exceeded(gateway: Gateway) -> None:
    sender = channel(gateway.url, rate=10)
    started = time.monotonic()
    outcomes = {sender.send_sms(sms(f"k{i}")).outcome for i in range(20)}
    elapsed = time.monotonic() - started
    assert outcomes == {Outcome.SENT}
    arrivals = sorted(a.at for a in gateway.arrivals)
    assert len(arrivals) == 20
    busiest = max(sum(t <= other < t + 1.0 for other in arrivals) for t in arrivals)
    assert busiest <= 10
    assert elapsed >= 1.9
