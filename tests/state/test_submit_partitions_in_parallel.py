"""One submit writes its partitions side by side and each partition's transactions in order (the
members of ten groups were forty transactions one after another at a cycle's end), on Azurite."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from provisioning.state.table import Operation
from provisioning.state.tables import TableState


async def test_partitions_in_parallel_each_in_order(
    tables_connection_string: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with TableState.from_connection_string(tables_connection_string, prefix=table_prefix) as state:
        table = state._t("members")
        real = table._transaction
        running = [0]
        most = [0]
        order: list[tuple[str, str]] = []

        async def transaction(batch: list[Operation]) -> None:
            running[0] += 1
            most[0] = max(most[0], running[0])
            order.append((str(batch[0][1]["PartitionKey"]), str(batch[0][1]["RowKey"])))
            await asyncio.sleep(0.05)
            await real(batch)
            running[0] -= 1

        monkeypatch.setattr(table, "_transaction", transaction)
        added: dict[str, Any] = {f"g{g}": [f"u{i:04d}" for i in range(250)] for g in range(4)}
        rows = [{"PartitionKey": g, "RowKey": u} for g, users in added.items() for u in users]
        await state._submit("members", [("upsert", row) for row in rows])  # row-per-member rows
        assert most[0] == 4  # four partitions at once
        for g in range(4):  # and each partition's three transactions in order
            starts = [row for partition, row in order if partition == f"g{g}"]
            assert starts == ["u0000", "u0100", "u0200"]
        found = await state.list_members(list(added))
        assert found == {g: set(users) for g, users in added.items()}
