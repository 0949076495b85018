"""A 2 s blink of Table Storage (every connection reset) in the middle of the work is survived by
every kind of call: transaction, get, query, upsert, delete, lease create and lease renewal.

Azurite sits behind a fault proxy; each call starts while the proxy resets every connection, is
retried by the one retry policy, and completes once the blink is over with the right result.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta

import pytest

from provisioning.model import Link
from provisioning.state.tables import TableState
from sandbox.tcp_proxy import FaultProxy, Mode

BLINK = 2.0


async def test_every_kind_of_call_survives_a_2s_blink(
    azurite_proxy: FaultProxy,
    proxied_connection_string: str,
    table_prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = datetime.now(UTC)
    async with (
        TableState.from_connection_string(proxied_connection_string, prefix=table_prefix) as state,
        TableState.from_connection_string(proxied_connection_string, prefix=table_prefix + "b") as other,
    ):
        links = [Link(f"u{i}", f"g{i}", True, {"userName": f"u{i}@contoso.com"}, {}) for i in range(150)]
        await state.upsert_links(links[:2])
        await state.set_watermark("users", "https://graph/delta?old")
        await state.set_control("probe", {"Value": 1})
        assert await other.acquire_lease("renewer", seconds=60, now=now)
        table = state.store.table(table_prefix + "state")  # the lease's own primitives, hit directly
        row = {"PartitionKey": "control", "RowKey": "guarded", "Version": 1}
        etag = await table.create(row)
        assert etag is not None

        caplog.set_level(logging.WARNING, logger="provisioning.state.tablestore")
        azurite_proxy.blink(Mode.RESET, BLINK)
        started = time.monotonic()
        results = await asyncio.gather(
            state.upsert_links(links),  # transactions (two, 100 + 50)
            state.get_link("u1"),  # get
            state.list_assignments(),  # query
            state.set_watermark("users", "https://graph/delta?new"),  # upsert
            state.delete_control("probe"),  # delete
            state.acquire_lease("creator", seconds=60, now=now),  # lease create
            other.acquire_lease("renewer", seconds=120, now=now),  # lease renewal (ETag-guarded)
            table.create({"PartitionKey": "control", "RowKey": "created", "Version": 1}),
            table.replace_if({**row, "Version": 2}, etag),
        )
        elapsed = time.monotonic() - started

        assert azurite_proxy.resets > 0 and elapsed >= BLINK * 0.9, "the blink must have hit the calls"
        assert results[1] == links[1] and results[2] == [] and results[5] is True and results[6] is True
        assert results[7] is not None and results[8] is not None, "a create or guarded write was lost"
        guarded = await table.get("control", "guarded")
        assert guarded is not None and guarded["Version"] == 2
        assert len([link async for link in state.list_links()]) == 150
        assert await state.get_watermark("users") == "https://graph/delta?new"
        assert await state.get_control("probe") is None
        assert await state.get_lease() == ("creator", now + timedelta(seconds=60))
        assert await other.get_lease() == ("renewer", now + timedelta(seconds=120))

        retried = " ".join(r.getMessage() for r in caplog.records)
        kinds = (
            "transaction on",
            "read from",
            "query of",
            "write to",
            "delete in",
            "create in",
            "guarded write",
        )
        for kind in kinds:
            assert f"Table Storage {kind} " in retried, f"no {kind!r} call was retried"
