"""AuditLog.add writes each record to its cycle's partition and to its Entra id's index partition,
in transactions of at most 100; rows written before the index existed read the same."""

from __future__ import annotations

from datetime import timedelta

import pytest

from provisioning.model import AuditStatus, ModifiedProperty
from provisioning.state.audit_log import AuditLog, AuditQuery
from provisioning.state.tablestore import TableStore
from tests.state.test_audit_log_support import (
    BASE,
    CountingTransport,
    guid,
    opened,
    record,
    write_unindexed,
)


async def test_add_writes_the_cycle_partition_and_the_index(
    tables_connection_string: str, table_prefix: str
) -> None:
    cycle_id, user = guid(), guid()
    changes = (ModifiedProperty("displayName", "Old Name", "New Name"),)
    written = record(cycle_id, user, BASE, action="update", target_id="42", name="Ada", changes=changes)
    async with opened(tables_connection_string, table_prefix) as (state, log):
        await log.add([written])
        assert await state.list_audit_records(cycle_id) == [written]
        by_object = await log.query(AuditQuery(entra_id=user))
        by_cycle = await log.query(AuditQuery(cycle_id=cycle_id))
    assert by_object.records == [written] and by_cycle.records == [written]


async def test_add_writes_a_page_of_records_in_one_transaction_per_100_rows_per_table(
    tables_connection_string: str, table_prefix: str
) -> None:
    cycle_id, busy = guid(), guid()
    many = [record(cycle_id, busy, BASE + timedelta(seconds=i)) for i in range(230)]
    singles = [record(cycle_id, guid(), BASE + timedelta(minutes=5, seconds=i)) for i in range(40)]
    transport = CountingTransport()
    async with opened(tables_connection_string, table_prefix, transport) as (state, log):
        transport.requests.clear()
        await log.add(many + singles)
        batches = [url for method, url in transport.requests if method == "POST" and "$batch" in url]
        # audit: 270 rows of one cycle -> 3 transactions; index: 270 rows, 41 users, one partition -> 3
        assert len(batches) == 3 + 3
        assert len(await state.list_audit_records(cycle_id)) == 270
        page = await log.query(AuditQuery(entra_id=busy), top=1000)
    assert len(page.records) == 230 and page.continuation_token is None


async def test_records_written_before_the_index_read_back_by_cycle(
    tables_connection_string: str, table_prefix: str
) -> None:
    cycle_id = guid()
    old = [
        record(cycle_id, guid(), BASE + timedelta(seconds=i), status=AuditStatus.SKIPPED, action="other")
        for i in range(3)
    ]
    async with opened(tables_connection_string, table_prefix) as (_, log):
        await write_unindexed(tables_connection_string, table_prefix, old)
        page = await log.query(AuditQuery(cycle_id=cycle_id))
    assert page.records == old[::-1]


async def test_add_refuses_an_id_that_cannot_be_a_key(
    tables_connection_string: str, table_prefix: str
) -> None:
    async with opened(tables_connection_string, table_prefix) as (_, log):
        with pytest.raises(ValueError, match="cannot be a Table Storage key"):
            await log.add([record(guid(), "a/b", BASE)])


async def test_replaying_a_record_writes_the_same_rows(
    tables_connection_string: str, table_prefix: str
) -> None:
    cycle_id, user = guid(), guid()
    once = record(cycle_id, user, BASE)
    async with opened(tables_connection_string, table_prefix) as (_, log):
        await log.add([once])
        await log.add([once])
        assert (await log.query(AuditQuery(entra_id=user))).records == [once]
        assert (await log.query(AuditQuery(cycle_id=cycle_id))).records == [once]


async def test_a_shared_store_stays_open(tables_connection_string: str, table_prefix: str) -> None:
    """Built over a TableState's store, closing the log leaves the store (and its client) to its owner."""
    async with TableStore.from_connection_string(tables_connection_string) as store:
        cycle_id = guid()
        async with AuditLog(store, prefix=table_prefix, owns_store=False) as log:
            await log.add([record(cycle_id, guid(), BASE)])
        async with AuditLog(store, prefix=table_prefix, owns_store=False) as log:
            assert len((await log.query(AuditQuery(cycle_id=cycle_id))).records) == 1
