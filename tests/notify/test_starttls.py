"""STARTTLS for real: a server certificate generated at test time, verified by the client."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from provisioning.notify import Condition, SmtpSender, quarantine_message
from tests.notify.conftest import (
    SMTP_PASSWORD,
    SMTP_USER,
    MakeNotifier,
    SelfSignedCertificate,
    StartSmtp,
    check_password,
    only,
    settings_for,
)

NOW = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)
MAIL = quarantine_message("GoTo answered 500 for 3 cycles", NOW)


async def test_starttls_then_login_then_send(
    start_smtp: StartSmtp, make_notifier: MakeNotifier, test_certificate: SelfSignedCertificate
) -> None:
    # The server refuses mail before STARTTLS and AUTH outside TLS, as a submission server should.
    server = start_smtp(
        tls_context=test_certificate.server_context(),
        require_starttls=True,
        authenticator=check_password,
        auth_required=True,
    )
    settings = settings_for(
        server, SMTP_STARTTLS="true", SMTP_USERNAME=SMTP_USER, SMTP_PASSWORD=SMTP_PASSWORD
    )
    sender = SmtpSender(settings, tls_context=test_certificate.client_context())

    assert await make_notifier(settings, sender=sender).notify(Condition.QUARANTINE, MAIL, now=NOW) is True

    got = only(server)
    assert got.over_tls is True
    assert got.authenticated_as == SMTP_USER
    assert got.message["Subject"] == MAIL.subject


async def test_certificate_is_verified_by_default(
    start_smtp: StartSmtp,
    make_notifier: MakeNotifier,
    test_certificate: SelfSignedCertificate,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = start_smtp(tls_context=test_certificate.server_context(), require_starttls=True)
    settings = settings_for(server, SMTP_STARTTLS="true")  # the default sender: system trust store

    with caplog.at_level(logging.WARNING, logger="provisioning.notify"):
        assert await make_notifier(settings).notify(Condition.QUARANTINE, MAIL, now=NOW) is False

    assert server.received == []
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text


async def test_a_server_without_starttls_is_refused_not_downgraded(
    start_smtp: StartSmtp,
    make_notifier: MakeNotifier,
    test_certificate: SelfSignedCertificate,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = start_smtp()  # offers no STARTTLS
    settings = settings_for(server, SMTP_STARTTLS="true")
    sender = SmtpSender(settings, tls_context=test_certificate.client_context())

    with caplog.at_level(logging.WARNING, logger="provisioning.notify"):
        assert (
            await make_notifier(settings, sender=sender).notify(Condition.QUARANTINE, MAIL, now=NOW) is False
        )

    assert server.received == []
    assert "does not offer STARTTLS" in caplog.text
