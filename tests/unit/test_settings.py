"""The notification settings: defaults, parsing, and errors that name the variable."""

from __future__ import annotations

import pytest

from dacapo.bootstrap import Settings, load_settings
from dacapo.engine.errors import BadInput

NAMES = [
    *("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_USER", "SMTP_PASSWORD", "MAIL_FROM"),
    *("SMS_URL", "SMS_TOKEN", "SMS_SENDER", "SMS_RATE"),
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NAMES:
        monkeypatch.delenv(f"DACAPO_{name}", raising=False)


def test_without_variables_mail_goes_to_files_and_no_sms_is_configured() -> None:
    settings = load_settings()
    assert settings.smtp_host is None
    assert (settings.smtp_port, settings.smtp_security) == (25, "none")
    assert settings.mail_from == "Conservatoire <noreply@localhost>"
    assert (settings.sms_url, settings.sms_token, settings.sms_sender) == (None, None, None)
    assert settings.sms_rate == 5.0


def test_every_notification_setting_is_read_from_its_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = {
        "SMTP_HOST": "smtp.example.org",
        "SMTP_PORT": "587",
        "SMTP_SECURITY": "starttls",
        "SMTP_USER": "scolarite",
        "SMTP_PASSWORD": "mail-secret",
        "MAIL_FROM": "Conservatoire de Malakoff – Scolarité <scolarite@malakoff.example.org>",
        "SMS_URL": "https://sms.example.org/v1/messages",
        "SMS_TOKEN": "sms-secret",
        "SMS_SENDER": "MALAKOFF",
        "SMS_RATE": "2.5",
    }
    for name, value in values.items():
        monkeypatch.setenv(f"DACAPO_{name}", value)
    settings = load_settings()
    assert (settings.smtp_host, settings.smtp_port) == ("smtp.example.org", 587)
    assert (settings.smtp_security, settings.smtp_user) == ("starttls", "scolarite")
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "mail-secret"
    assert settings.mail_from.startswith("Conservatoire de Malakoff")
    assert settings.sms_url == "https://sms.example.org/v1/messages"
    assert settings.sms_token is not None
    assert settings.sms_token.get_secret_value() == "sms-secret"
    assert (settings.sms_sender, settings.sms_rate) == ("MALAKOFF", 2.5)


def test_secrets_never_show_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DACAPO_SMTP_PASSWORD", "mail-secret")
    monkeypatch.setenv("DACAPO_SMS_TOKEN", "sms-secret")
    shown = repr(load_settings())
    assert "mail-secret" not in shown
    assert "sms-secret" not in shown


def test_empty_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SMTP_HOST", "SMTP_USER", "SMTP_PASSWORD", "SMS_URL", "SMS_TOKEN", "SMS_SENDER"):
        monkeypatch.setenv(f"DACAPO_{name}", "  ")
    settings = load_settings()
    assert settings.smtp_host is None
    assert settings.smtp_password is None
    assert settings.sms_url is None
    assert settings.sms_sender is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SMTP_PORT", "twenty-five", "Input should be a valid integer, unable to parse string"),
        ("SMTP_PORT", "0", "Input should be greater than or equal to 1"),
        ("SMTP_PORT", "70000", "Input should be less than or equal to 65535"),
        ("SMTP_SECURITY", "ssl", "Input should be 'none', 'starttls' or 'tls'"),
        ("MAIL_FROM", "scolarite", "give an email address, with a name if you like"),
        ("MAIL_FROM", "Conservatoire <scolarite>", "give an email address"),
        ("SMS_URL", "ftp://sms.example.org", "give an http:// or https:// URL"),
        ("SMS_URL", "sms.example.org/send", "give an http:// or https:// URL"),
        ("SMS_SENDER", "Conservatoire", "an SMS sender ID is 1 to 11 letters or digits"),
        ("SMS_SENDER", "MALA-KOFF", "an SMS sender ID is 1 to 11 letters or digits"),
        ("SMS_RATE", "0", "Input should be greater than 0"),
        ("SMS_RATE", "fast", "Input should be a valid number"),
        ("SMS_RATE", "inf", "Input should be a finite number"),
    ],
)
def test_a_wrong_setting_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(f"DACAPO_{name}", value)
    with pytest.raises(BadInput) as raised:
        load_settings()
    assert str(raised.value).startswith(f"DACAPO_{name}: {message}")
    assert raised.value.exit_code == 2


def test_a_mail_sender_cannot_smuggle_a_header() -> None:
    with pytest.raises(BadInput, match=r"^DACAPO_MAIL_FROM: "):
        load_settings(mail_from="Conservatoire <a@example.org>\nBcc: everyone@example.org")


def test_the_sender_address_may_be_bare_or_quoted() -> None:
    assert load_settings(mail_from="scolarite@example.org").mail_from == "scolarite@example.org"
    quoted = '"Conservatoire, Malakoff" <scolarite@example.org>'
    assert load_settings(mail_from=quoted).mail_from == quoted


def test_several_wrong_settings_are_all_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DACAPO_SMTP_PORT", "x")
    monkeypatch.setenv("DACAPO_SMTP_SECURITY", "ssl")
    with pytest.raises(BadInput) as raised:
        load_settings()
    lines = str(raised.value).splitlines()
    assert [line.split(":")[0] for line in lines] == ["DACAPO_SMTP_PORT", "DACAPO_SMTP_SECURITY"]


def test_the_field_names_the_dispatcher_relies_on_exist() -> None:
    assert set(NAMES) <= {name.upper() for name in Settings.model_fields}
