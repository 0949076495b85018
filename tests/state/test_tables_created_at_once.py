"""A run's tables are created side by side after the first (a busy store is retried once, not per
table), each once (one after another, seven creates were a
tenth of a second before every run); an existing table is no error, and a store asked again
creates nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from provisioning.state.tablestore import TableStore


async def test_the_tables_are_created_at_once_and_only_once(
    tables_connection_string: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [f"{table_prefix}t{i}" for i in range(5)]
    async with TableStore.from_connection_string(tables_connection_string) as store:
        await store.open_tables(names[:2])  # these two exist already: no error the second time
        store._created.clear()
        in_flight, most, asked = 0, 0, []
        create = store._service.create_table

        async def counted(name: str, **kwargs: Any) -> Any:
            nonlocal in_flight, most
            in_flight += 1
            most = max(most, in_flight)
            asked.append(name)
            try:
                await asyncio.sleep(0.05)
                return await create(name, **kwargs)
            finally:
                in_flight -= 1

        monkeypatch.setattr(store._service, "create_table", counted)
        await store.open_tables([*names, names[0]])
        await store.open_tables(names)

        assert sorted(asked) == sorted(names)  # each once, the repeated name too
        assert most == len(names) - 1  # the first alone, then the rest at once
        for name in names:
            found = store._service.query_tables("TableName eq @n", parameters={"n": name})
            assert [t.name async for t in found] == [name]
