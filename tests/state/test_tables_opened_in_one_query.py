"""A run's tables are opened with one query asking which exist; only the missing ones are created,
side by side (creating all of them, the first alone, was two round trips and seven calls before
every run); a table made meanwhile by another run is no error, and a store asked again asks nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from azure.core.exceptions import ResourceExistsError

from provisioning.state.tablestore import TableStore


async def test_only_the_missing_tables_are_created_and_at_once(
    tables_connection_string: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [f"{table_prefix}t{i}" for i in range(5)]
    async with TableStore.from_connection_string(tables_connection_string) as store:
        await store.open_tables(names[:2])  # these two exist from now on
        store._created.clear()  # a new run's store
        in_flight, most, asked, queries = 0, 0, [], [0]
        create, query = store._service.create_table, store._service.query_tables

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

        def asking(*args: Any, **kwargs: Any) -> Any:
            queries[0] += 1
            return query(*args, **kwargs)

        monkeypatch.setattr(store._service, "create_table", counted)
        monkeypatch.setattr(store._service, "query_tables", asking)
        await store.open_tables([*names, names[0]])
        await store.open_tables(names)

        assert sorted(asked) == sorted(names[2:])  # the three missing, each once
        assert most == 3  # side by side
        assert queries[0] == 1  # the second open asked nothing
        for name in names:
            found = query("TableName eq @n", parameters={"n": name})
            assert [t.name async for t in found] == [name]


async def test_a_table_another_run_made_meanwhile_is_no_error(
    tables_connection_string: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"{table_prefix}raced"
    async with TableStore.from_connection_string(tables_connection_string) as store:
        create = store._service.create_table

        async def raced(table: str, **kwargs: Any) -> Any:
            await create(table, **kwargs)  # the other run's create lands first
            raise ResourceExistsError("TableAlreadyExists")

        monkeypatch.setattr(store._service, "create_table", raced)
        await store.open_tables([name])
        assert name in store._created


async def test_more_tables_than_one_filter_takes_are_asked_in_several_queries(
    tables_connection_string: str, table_prefix: str
) -> None:
    names = [f"{table_prefix}m{i}" for i in range(17)]  # over the 15 comparisons of one $filter
    async with TableStore.from_connection_string(tables_connection_string) as store:
        await store.open_tables(names)
    async with TableStore.from_connection_string(tables_connection_string) as store:
        calls = [0]
        create = store._service.create_table

        async def counted(name: str, **kwargs: Any) -> Any:
            calls[0] += 1
            return await create(name, **kwargs)

        store._service.create_table = counted  # type: ignore[method-assign,assignment]
        await store.open_tables(names)
        assert calls[0] == 0 and set(names) <= store._created
