"""The SMTP password never shows: not in reprs, setting errors, or any log line, even on failure."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from provisioning.errors import ConfigError
from provisioning.notify import Condition, SmtpSender, credentials_message, load_notification_settings
from tests.notify.conftest import (
    SMTP_PASSWORD,
    SMTP_USER,
    MakeNotifier,
    StartSmtp,
    check_password,
    only,
    settings_for,
)

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

NOW = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)
MAIL = credentials_message("goto", "401 invalid_token")
WRONG_PASSWORD = "Wr0ng-but-still-secret"


def test_reprs(make_notifier: MakeNotifier) -> None:
    settings = settings_for(SMTP_USERNAME=SMTP_USER, SMTP_PASSWORD=SMTP_PASSWORD)
    notifier = make_notifier(settings)

    for shown in (repr(settings), str(settings), repr(SmtpSender(settings)), repr(notifier)):
        assert SMTP_PASSWORD not in shown
    assert SMTP_USER in repr(notifier)  # the sender is still described


def test_setting_errors() -> None:
    with pytest.raises(ConfigError) as caught:
        load_notification_settings(
            {"NOTIFICATION_EMAIL": "ops@contoso.com", "SMTP_HOST": "bad host", "SMTP_PASSWORD": SMTP_PASSWORD}
        )
    assert caught.value.setting == "SMTP_HOST, SMTP_USERNAME"
    assert SMTP_PASSWORD not in str(caught.value)


async def test_not_in_logs_when_sending_works(
    start_smtp: StartSmtp, make_notifier: MakeNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    server = start_smtp(authenticator=check_password, auth_required=True, auth_require_tls=False)
    settings = settings_for(server, SMTP_USERNAME=SMTP_USER, SMTP_PASSWORD=SMTP_PASSWORD)

    with caplog.at_level(logging.DEBUG):
        assert await make_notifier(settings).notify(Condition.CREDENTIALS, MAIL, now=NOW)

    assert only(server).authenticated_as == SMTP_USER
    assert any(r.name.startswith("provisioning.notify") for r in caplog.records)
    assert SMTP_PASSWORD not in caplog.text


async def test_not_in_logs_when_the_password_is_wrong(
    start_smtp: StartSmtp, make_notifier: MakeNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    server = start_smtp(authenticator=check_password, auth_required=True, auth_require_tls=False)
    settings = settings_for(server, SMTP_USERNAME=SMTP_USER, SMTP_PASSWORD=WRONG_PASSWORD)

    with caplog.at_level(logging.DEBUG):
        assert await make_notifier(settings).notify(Condition.CREDENTIALS, MAIL, now=NOW) is False

    assert "SMTPAuthenticationError" in caplog.text
    assert WRONG_PASSWORD not in caplog.text


def echo_password(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    """A careless server that repeats the password it refused in its error reply."""
    assert isinstance(data, LoginPassword)
    return AuthResult(
        success=False, handled=False, message=f"535 5.7.8 password {data.password.decode()} refused"
    )


async def test_not_in_logs_even_when_the_server_echoes_it(
    start_smtp: StartSmtp, make_notifier: MakeNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    server = start_smtp(authenticator=echo_password, auth_required=True, auth_require_tls=False)
    settings = settings_for(server, SMTP_USERNAME=SMTP_USER, SMTP_PASSWORD=WRONG_PASSWORD)

    with caplog.at_level(logging.DEBUG, logger="provisioning"):
        assert await make_notifier(settings).notify(Condition.CREDENTIALS, MAIL, now=NOW) is False

    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("provisioning"))
    assert "535 5.7.8 password [redacted] refused" in ours
    assert WRONG_PASSWORD not in ours
