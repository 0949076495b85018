"""A "sent" record whose answer was lost (Table Storage did the write, the connection reset before the
answer came back) is still ours: the retried ETag-guarded write meets its own row (same Holder
nonce) and counts as done, instead of being taken for another instance's takeover."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, datetime

import pytest
from azure.data.tables.aio import TableClient

from provisioning.notify import Condition, Notifier, quarantine_message
from provisioning.state.tablestore import TableStore
from sandbox.tcp_proxy import FaultProxy
from tests.notify.conftest import StartSmtp, settings_for

NOW = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)
MAIL = quarantine_message("GoTo answered 500 for 3 cycles", NOW)


async def test_a_confirmation_landed_before_the_reset_is_ours(
    start_smtp: StartSmtp,
    azurite_proxy: FaultProxy,
    proxied_connection_string: str,
    tables_connection_string: str,
    table_prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = start_smtp()
    store = TableStore.from_connection_string(proxied_connection_string)
    async with Notifier(settings_for(server), store, prefix=table_prefix) as notifier:
        assert await notifier.notify("warm-up", MAIL, now=NOW)  # table open, connection pooled
        server.sink.gate = threading.Event()
        server.sink.in_data.clear()  # set by the warm-up mail
        with caplog.at_level(logging.WARNING, logger="provisioning.notify"):
            sending = asyncio.create_task(notifier.notify(Condition.QUARANTINE, MAIL, now=NOW))
            assert await asyncio.to_thread(server.sink.in_data.wait, 5)
            azurite_proxy.lose_answers(1)  # claimed already: the next answer is the "sent" record's
            server.sink.gate.set()
            assert await sending is True

        assert azurite_proxy.answers_lost == 1
        assert "took its claim over" not in caplog.text
        assert await notifier.notify(Condition.QUARANTINE, MAIL, now=NOW) is False

    async with TableClient.from_connection_string(tables_connection_string, table_prefix + "notify") as table:
        row = await table.get_entity("condition", str(Condition.QUARANTINE))
    assert row["State"] == "sent" and row["Day"] == "2025-03-04"
    assert len(server.received) == 2
