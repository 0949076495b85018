"""Notification settings: defaults, off when NOTIFICATION_EMAIL is absent, each bad setting named."""

from __future__ import annotations

from typing import Any

import pytest

from provisioning.errors import ConfigError
from provisioning.notify import (
    NOTIFY_SECRET_SETTINGS,
    NOTIFY_SETTING_NAMES,
    NotificationSettings,
    load_notification_settings,
)

BASE = {"NOTIFICATION_EMAIL": "ops@contoso.com", "SMTP_HOST": "smtp.contoso.com"}


def test_defaults() -> None:
    settings = load_notification_settings(BASE)

    assert settings == NotificationSettings(
        recipients=("ops@contoso.com",),
        sender="goto-provisioning@contoso.com",
        smtp_host="smtp.contoso.com",
        smtp_port=587,
        smtp_username=None,
        smtp_password=None,
        smtp_starttls=True,
    )
    assert settings.enabled


def test_everything_set() -> None:
    settings = load_notification_settings(
        {
            "NOTIFICATION_EMAIL": " ops@contoso.com, Security@Fabrikam.com ,ops@CONTOSO.com,",
            "NOTIFICATION_FROM": "noreply@contoso.com",
            "SMTP_HOST": "smtp.office365.com",
            "SMTP_PORT": "2525",
            "SMTP_USERNAME": "relay@contoso.com",
            "SMTP_PASSWORD": "s3cret",
            "SMTP_STARTTLS": "TRUE",
        }
    )

    assert settings.recipients == ("ops@contoso.com", "Security@Fabrikam.com")  # duplicates dropped
    assert settings.sender == "noreply@contoso.com"
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == (
        "smtp.office365.com",
        2525,
        True,
    )
    assert (settings.smtp_username, settings.smtp_password) == ("relay@contoso.com", "s3cret")


def test_absent_recipient_means_off_and_nothing_else_required() -> None:
    assert load_notification_settings({}).enabled is False
    assert load_notification_settings({"NOTIFICATION_EMAIL": "  "}).enabled is False


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.53"])
def test_plain_smtp_is_allowed_to_loopback(host: str) -> None:
    settings = load_notification_settings({**BASE, "SMTP_HOST": host, "SMTP_STARTTLS": "false"})
    assert settings.smtp_starttls is False


@pytest.mark.parametrize(
    ("env", "setting", "says"),
    [
        ({"NOTIFICATION_EMAIL": "ops"}, "NOTIFICATION_EMAIL", "plain e-mail address"),
        ({"NOTIFICATION_EMAIL": "Ops <ops@contoso.com>"}, "NOTIFICATION_EMAIL", "plain e-mail address"),
        ({"NOTIFICATION_EMAIL": "ops@contoso.com\r\nBcc: x@evil.example"}, "NOTIFICATION_EMAIL", "plain"),
        ({"NOTIFICATION_EMAIL": ", ,"}, "NOTIFICATION_EMAIL", "holds no address"),
        ({"NOTIFICATION_FROM": "provisioning"}, "NOTIFICATION_FROM", "plain e-mail address"),
        ({"SMTP_HOST": ""}, "SMTP_HOST", "is required when NOTIFICATION_EMAIL is set"),
        ({"SMTP_HOST": "   "}, "SMTP_HOST", "is required when NOTIFICATION_EMAIL is set"),
        ({"SMTP_HOST": "smtp://smtp.contoso.com"}, "SMTP_HOST", "no scheme"),
        ({"SMTP_HOST": "smtp.contoso.com:587"}, "SMTP_HOST", "put the port in SMTP_PORT"),
        ({"SMTP_HOST": "smtp contoso"}, "SMTP_HOST", "host name or IP address"),
        ({"SMTP_PORT": "submission"}, "SMTP_PORT", "port number"),
        ({"SMTP_PORT": "0"}, "SMTP_PORT", "from 1 to 65535"),
        ({"SMTP_PORT": "70000"}, "SMTP_PORT", "from 1 to 65535"),
        ({"SMTP_PORT": "465"}, "SMTP_PORT", "implicit TLS"),
        ({"SMTP_STARTTLS": "maybe"}, "SMTP_STARTTLS", "true or false"),
        ({"SMTP_STARTTLS": "false"}, "SMTP_STARTTLS", "loopback"),
        ({"SMTP_USERNAME": "relay@contoso.com"}, "SMTP_PASSWORD", "required when SMTP_USERNAME is set"),
        ({"SMTP_PASSWORD": "s3cret"}, "SMTP_USERNAME", "required when SMTP_PASSWORD is set"),
    ],
)
def test_each_bad_setting_is_named(env: dict[str, str], setting: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_notification_settings({**BASE, **env})

    assert caught.value.setting == setting
    assert setting in str(caught.value) and says in str(caught.value)


def test_all_problems_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        load_notification_settings(
            {"NOTIFICATION_EMAIL": "ops@contoso.com", "SMTP_PORT": "x", "SMTP_STARTTLS": "?"}
        )

    assert caught.value.setting == "SMTP_HOST, SMTP_PORT, SMTP_STARTTLS"


def test_set_values_are_checked_even_when_off() -> None:
    with pytest.raises(ConfigError) as caught:
        load_notification_settings({"SMTP_PORT": "abc"})
    assert caught.value.setting == "SMTP_PORT"


class RecordingEnv(dict[str, str]):
    """An environment that remembers which names were read."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)


def test_setting_names_list_exactly_what_is_read() -> None:
    env = RecordingEnv({**BASE, "SMTP_USERNAME": "u", "SMTP_PASSWORD": "p"})
    load_notification_settings(env)

    assert env.read == set(NOTIFY_SETTING_NAMES)
    assert {"SMTP_PASSWORD"} == NOTIFY_SECRET_SETTINGS


def test_every_bad_recipient_is_named_in_one_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        load_notification_settings({**BASE, "NOTIFICATION_EMAIL": "ops, ok@contoso.com, sec@"})
    assert caught.value.problems == [
        ("NOTIFICATION_EMAIL", "must be plain e-mail addresses like ops@contoso.com, got 'ops', 'sec@'")
    ]


def test_an_unresolved_smtp_password_reference_is_named_with_its_secret_only() -> None:
    reference = "@Microsoft.KeyVault(SecretUri=https://kv-mail.vault.azure.net/secrets/smtp-password/)"
    with pytest.raises(ConfigError) as caught:
        load_notification_settings({**BASE, "SMTP_USERNAME": "relay@contoso.com", "SMTP_PASSWORD": reference})

    assert caught.value.setting == "SMTP_PASSWORD"  # the reference, not "required when SMTP_USERNAME"
    assert "unresolved Key Vault reference to the secret 'smtp-password'" in str(caught.value)
    assert "kv-mail" not in str(caught.value)


def test_an_unresolved_recipient_reference_still_needs_the_relay() -> None:
    with pytest.raises(ConfigError) as caught:
        load_notification_settings({"NOTIFICATION_EMAIL": "@Microsoft.KeyVault(SecretName=ops-mail)"})
    assert caught.value.setting == "NOTIFICATION_EMAIL, SMTP_HOST"
