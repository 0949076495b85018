"""Whatever fails (SMTP down, storage down, a broken sender), notify answers False and raises nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from provisioning.notify import Condition, Mail, Notifier, quarantine_message
from provisioning.state.tablestore import RetryPolicy, TableStore
from sandbox.azurite import connection_string, free_port
from tests.notify.conftest import MakeNotifier, SmtpServer, settings_for

NOW = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)
MAIL = quarantine_message("GoTo answered 500 for 3 cycles", NOW)
QUICK = RetryPolicy(attempts=2, budget_seconds=1.0, first_wait=0.1, max_wait=0.1, jitter=0.0)


async def test_smtp_server_down(make_notifier: MakeNotifier, caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()  # nothing listens there
    with caplog.at_level(logging.WARNING, logger="provisioning.notify"):
        assert (
            await make_notifier(settings_for(port=port)).notify(Condition.QUARANTINE, MAIL, now=NOW) is False
        )

    assert f"'quarantine' not sent: NotificationError: SMTP 127.0.0.1:{port}" in caplog.text
    assert "ConnectionRefusedError" in caplog.text


async def test_table_storage_down(
    smtp_server: SmtpServer, table_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """No record of today's mail means no mail: sending blind could mail every cycle. What failed is
    tablestore's StorageError (retries spent), named with what to check."""
    unreachable = TableStore.from_connection_string(connection_string(free_port()), retry=QUICK)
    notifier = Notifier(settings_for(smtp_server), unreachable, prefix=table_prefix)
    try:
        with caplog.at_level(logging.WARNING, logger="provisioning.notify"):
            assert await notifier.notify(Condition.QUARANTINE, MAIL, now=NOW) is False
    finally:
        await notifier.close()

    assert smtp_server.received == []
    assert "the notification table is unavailable (StorageError: Table Storage list tables" in caplog.text
    assert "after 2 attempts" in caplog.text


class ExplodingSender:
    """A sender with a bug: raises something that is not a NotificationError."""

    async def send(self, mail: Mail) -> None:
        raise RuntimeError("unexpected")


async def test_a_sender_bug(
    smtp_server: SmtpServer, make_notifier: MakeNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = make_notifier(settings_for(smtp_server), sender=ExplodingSender())
    with caplog.at_level(logging.WARNING, logger="provisioning.notify"):
        assert await notifier.notify(Condition.QUARANTINE, MAIL, now=NOW) is False
    assert "RuntimeError: unexpected" in caplog.text

    # The failed attempt gave its claim back: the real sender may still mail today.
    assert await make_notifier(settings_for(smtp_server)).notify(Condition.QUARANTINE, MAIL, now=NOW) is True
