"""SMTP AUTH against a server that checks the account: right password sends, wrong one is logged."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from provisioning.notify import Condition, credentials_message
from tests.notify.conftest import (
    SMTP_PASSWORD,
    SMTP_USER,
    MakeNotifier,
    SmtpServer,
    StartSmtp,
    check_password,
    only,
    settings_for,
)

# Plain-text AUTH is what these loopback tests exercise on purpose; STARTTLS + AUTH is in test_starttls.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

NOW = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)
MAIL = credentials_message("goto", "401 invalid_token")


@pytest.fixture
def auth_server(start_smtp: StartSmtp) -> SmtpServer:
    """Plain SMTP on loopback (settings allow that only there) that requires AUTH."""
    return start_smtp(authenticator=check_password, auth_required=True, auth_require_tls=False)


async def test_right_password_sends(auth_server: SmtpServer, make_notifier: MakeNotifier) -> None:
    settings = settings_for(auth_server, SMTP_USERNAME=SMTP_USER, SMTP_PASSWORD=SMTP_PASSWORD)

    assert await make_notifier(settings).notify(Condition.CREDENTIALS, MAIL, now=NOW) is True

    assert only(auth_server).authenticated_as == SMTP_USER


async def test_wrong_password_is_logged_and_answered_false(
    auth_server: SmtpServer, make_notifier: MakeNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(auth_server, SMTP_USERNAME=SMTP_USER, SMTP_PASSWORD="not-the-password")

    with caplog.at_level(logging.WARNING, logger="provisioning.notify"):
        assert await make_notifier(settings).notify(Condition.CREDENTIALS, MAIL, now=NOW) is False

    assert auth_server.received == []
    failures = [r for r in caplog.records if r.name.startswith("provisioning")]
    assert len(failures) == 1
    assert "'credentials' not sent" in failures[0].getMessage()
    assert "SMTPAuthenticationError: 535" in failures[0].getMessage()


async def test_missing_credentials_are_refused_by_the_server(
    auth_server: SmtpServer, make_notifier: MakeNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="provisioning.notify"):
        assert (
            await make_notifier(settings_for(auth_server)).notify(Condition.CREDENTIALS, MAIL, now=NOW)
            is False
        )

    assert auth_server.received == []
    assert "530" in caplog.text  # authentication required
