"""The SMS channel without a network: settings, Retry-After and the gateway's words."""

from __future__ import annotations

import datetime as dt

import pytest

from dacapo.bootstrap import load_settings
from dacapo.notifications.sms import HttpSmsChannel, gateway_message, retry_after

NOW = dt.datetime(2023, 5, 15, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def no_sms_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("URL", "TOKEN", "SENDER", "RATE"):
        monkeypatch.delenv(f"DACAPO_SMS_{name}", raising=False)


def test_no_channel_without_a_gateway_url() -> None:
    assert HttpSmsChannel.from_settings(load_settings()) is None


def test_the_channel_is_built_from_the_sms_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DACAPO_SMS_URL", "https://sms.example.org/v1/send")
    monkeypatch.setenv("DACAPO_SMS_TOKEN", "s3cret")
    monkeypatch.setenv("DACAPO_SMS_SENDER", "MALAKOFF")
    monkeypatch.setenv("DACAPO_SMS_RATE", "2.5")
    channel = HttpSmsChannel.from_settings(load_settings())
    assert channel is not None
    assert (channel.url, channel.sender) == ("https://sms.example.org/v1/send", "MALAKOFF")
    assert channel.limiter.rate == 2.5
    assert channel.timeout == 10.0


def test_retry_after_in_seconds() -> None:
    assert retry_after("7", NOW) == dt.timedelta(seconds=7)
    assert retry_after(" 120 ", NOW) == dt.timedelta(minutes=2)


def test_retry_after_as_an_http_date_counts_from_now() -> None:
    assert retry_after("Mon, 15 May 2023 08:00:30 GMT", NOW) == dt.timedelta(seconds=30)


def test_retry_after_in_the_past_means_at_once() -> None:
    assert retry_after("Mon, 15 May 2023 07:00:00 GMT", NOW) == dt.timedelta(0)


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5"])
def test_a_retry_after_that_is_not_understood_is_ignored(value: str | None) -> None:
    assert retry_after(value, NOW) is None


def test_the_gateway_message_is_read_from_json_or_text() -> None:
    assert gateway_message(b'{"message": "invalid number"}') == "invalid number"
    assert gateway_message(b'{"error": {"message": "bad sender"}}') == "bad sender"
    assert gateway_message(b'{"error": "unknown recipient"}') == "unknown recipient"
    assert gateway_message(b"Bad  Request\n") == "Bad Request"
    assert gateway_message(b"") == ""
