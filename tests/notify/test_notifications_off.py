"""Without NOTIFICATION_EMAIL: notify is a no-op that says so once, and touches no table or server."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from azure.data.tables.aio import TableServiceClient

import provisioning.notify.notifier as notifier_module
from provisioning.notify import Condition, load_notification_settings, quarantine_message
from tests.notify.conftest import MakeNotifier, SmtpServer

NOW = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)


async def test_off_is_a_quiet_no_op(
    smtp_server: SmtpServer,
    make_notifier: MakeNotifier,
    tables_connection_string: str,
    table_prefix: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(notifier_module, "_off_announced", False)  # as in a fresh process
    # SMTP settings alone do not turn notifications on.
    settings = load_notification_settings({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_server.port)})
    first, second = make_notifier(settings), make_notifier(settings)
    mail = quarantine_message("x", NOW)

    with caplog.at_level(logging.INFO, logger="provisioning.notify"):
        for notifier in (first, second, first):
            assert notifier.enabled is False
            assert await notifier.notify(Condition.QUARANTINE, mail, now=NOW) is False

    said = [r.getMessage() for r in caplog.records if r.name.startswith("provisioning.notify")]
    assert said == ["failure notifications are off (NOTIFICATION_EMAIL is not set)"]
    assert smtp_server.received == []
    async with TableServiceClient.from_connection_string(tables_connection_string) as service:
        tables = [t.name async for t in service.list_tables()]
    assert not any(name.startswith(table_prefix) for name in tables)
