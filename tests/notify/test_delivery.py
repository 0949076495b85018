"""Each condition's mail reaches a real SMTP server with the right envelope, headers and body."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from azure.core.credentials import AzureNamedKeyCredential

from provisioning.notify import (
    Condition,
    FailedObject,
    Mail,
    Notifier,
    credentials_message,
    failed_objects_digest_message,
    quarantine_message,
    staged_deletes_message,
)
from sandbox.azurite import ACCOUNT, ACCOUNT_KEY, Azurite
from tests.notify.conftest import MakeNotifier, SmtpServer, only, settings_for

NOW = datetime(2025, 3, 4, 8, 15, tzinfo=UTC)

CASES: list[tuple[Condition, Mail, str, list[str]]] = [
    (
        Condition.QUARANTINE,
        quarantine_message("GoTo answered 500 to every request for 3 cycles", NOW),
        "[GoTo provisioning] Provisioning is in quarantine",
        ["since 2025-03-04 08:15 UTC", "GoTo answered 500 to every request for 3 cycles", "What to do"],
    ),
    (
        Condition.STAGED_DELETES,
        staged_deletes_message(disables=40, deletes=2, threshold=25),
        "[GoTo provisioning] 42 disable/deletes held for approval",
        [
            "disables: 40",
            "deletes:  2",
            "threshold is 25",
            "POST /api/staged/approve",
            "POST /api/staged/reject",
            "python -m provisioning staged approve",
            "python -m provisioning staged reject",
        ],
    ),
    (
        Condition.CREDENTIALS,
        credentials_message("goto", "401 invalid_token"),
        "[GoTo provisioning] GoTo credentials failed",
        ["Re-authorize GoTo", "401 invalid_token"],
    ),
    (
        Condition.FAILED_OBJECTS_DIGEST,
        failed_objects_digest_message(
            [
                FailedObject(
                    "8f1c2d3e-0000-4000-8000-000000000001", "Adele Vance", "create", "400", "bad e-mail"
                )
            ]
        ),
        "[GoTo provisioning] 1 object failed to provision",
        ["Adele Vance", "8f1c2d3e-0000-4000-8000-000000000001", "action: create", "error: 400", "bad e-mail"],
    ),
]


@pytest.mark.parametrize(("condition", "mail", "subject", "fragments"), CASES, ids=[c[0] for c in CASES])
async def test_condition_mail_arrives(
    smtp_server: SmtpServer,
    make_notifier: MakeNotifier,
    condition: Condition,
    mail: Mail,
    subject: str,
    fragments: list[str],
) -> None:
    notifier = make_notifier(settings_for(smtp_server))

    assert await notifier.notify(condition, mail, now=NOW) is True

    got = only(smtp_server)
    assert got.mail_from == "goto-provisioning@contoso.com"
    assert got.rcpt_tos == ["ops@contoso.com", "security@contoso.com"]
    message = got.message
    assert message["Subject"] == subject
    assert message["From"] == "goto-provisioning@contoso.com"
    assert [a.addr_spec for a in message["To"].addresses] == ["ops@contoso.com", "security@contoso.com"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@contoso.com>")
    assert message.get_content_type() == "text/plain"
    body = message.get_content().replace("\r\n", "\n")  # CRLF on the wire
    assert body == mail.text
    for fragment in fragments:
        assert fragment in body


async def test_configured_sender_and_unicode_body(
    smtp_server: SmtpServer, make_notifier: MakeNotifier
) -> None:
    settings = settings_for(smtp_server, NOTIFICATION_FROM="provisioning@fabrikam.com")
    digest = failed_objects_digest_message(
        [FailedObject("id-1", "Zoë Ångström", "update", "409", "conflict — already exists")]
    )

    assert await make_notifier(settings).notify(Condition.FAILED_OBJECTS_DIGEST, digest, now=NOW)

    got = only(smtp_server)
    assert got.mail_from == "provisioning@fabrikam.com"
    assert got.message["From"] == "provisioning@fabrikam.com"
    body = got.message.get_content()
    assert "Zoë Ångström" in body and "conflict — already exists" in body


async def test_table_by_endpoint_and_credential(
    smtp_server: SmtpServer, azurite: Azurite, table_prefix: str
) -> None:
    """The managed-identity shape (endpoint + credential), here with Azurite's account key."""
    credential = AzureNamedKeyCredential(ACCOUNT, ACCOUNT_KEY)
    settings = settings_for(smtp_server)
    notifier = Notifier.from_endpoint(settings, azurite.endpoint, credential=credential, prefix=table_prefix)
    async with notifier:
        assert await notifier.notify(Condition.QUARANTINE, CASES[0][1], now=NOW) is True
        assert await notifier.notify(Condition.QUARANTINE, CASES[0][1], now=NOW) is False
    assert len(smtp_server.received) == 1
