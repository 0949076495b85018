"""The cycle tells the admin by e-mail: staged deletes, credential failure (with quarantine), and a
digest of failed objects; read from what a real local SMTP server (aiosmtpd) received."""

from __future__ import annotations

import pytest

from sandbox.graph import APP_ROLE_USER_ID
from tests.e2e.conftest import Harness
from tests.notify.conftest import SmtpServer, smtp_server, start_smtp

__all__ = ["smtp_server", "start_smtp"]  # fixtures shared with the notifier's own tests


@pytest.fixture
def mailing_harness(harness: Harness, smtp_server: SmtpServer) -> Harness:
    harness.env.update(
        NOTIFICATION_EMAIL="ops@contoso.com",
        SMTP_HOST=smtp_server.host,
        SMTP_PORT=str(smtp_server.port),
        SMTP_STARTTLS="false",
    )
    return harness


def _subjects(server: SmtpServer) -> list[str]:
    return [str(r.message["Subject"]) for r in server.received]


async def test_staged_deletes_and_quarantine_send_one_mail_each(
    mailing_harness: Harness, smtp_server: SmtpServer
) -> None:
    harness = mailing_harness
    harness.env["DEPROVISION_THRESHOLD"] = "2"
    seeded = harness.world.seed_demo_tenant()
    await harness.cycle()
    harness.world.graph.tenant.unassign(seeded["assigned_groups"][0])

    await harness.cycle()

    subjects = _subjects(smtp_server)
    assert len(subjects) == 2, subjects
    assert any("held for approval" in s for s in subjects)
    staged = next(r for r in smtp_server.received if "held for approval" in str(r.message["Subject"]))
    body = staged.message.get_content()
    assert "POST /api/staged/approve" in body and "python -m provisioning staged approve" in body
    assert staged.rcpt_tos == ["ops@contoso.com"]


async def test_credential_failure_mails_once_a_day(mailing_harness: Harness, smtp_server: SmtpServer) -> None:
    harness = mailing_harness
    harness.world.seed_demo_tenant()
    for _ in range(2):
        with pytest.raises(Exception, match="GoTo"):
            await harness.cycle(GOTO_ACCESS_TOKEN="expired-token")
    subjects = _subjects(smtp_server)
    assert len(subjects) == 2, subjects  # credentials + quarantine, not repeated by the second failure
    text = "\n".join(r.message.get_content() for r in smtp_server.received)
    assert "expired-token" not in text


async def test_failed_objects_digest(mailing_harness: Harness, smtp_server: SmtpServer) -> None:
    harness = mailing_harness
    tenant = harness.world.graph.tenant
    tenant.seed(12, 0, seed=4)
    tenant.create_user(
        userPrincipalName="eve@fabrikam.example", mail="eve@fabrikam.example", displayName="Eve"
    )
    for user in tenant.users():
        tenant.assign(user["id"], app_role_id=APP_ROLE_USER_ID)

    result = await harness.cycle()

    assert result.failures == 1
    [mail] = smtp_server.received
    assert "eve@fabrikam.example" in mail.message.get_content()
