"""What a query reads, counted on the wire: by Entra id one index partition, by cycle one audit
partition, neither a walk of the cycles table that skips cycles which wrote nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from provisioning.state.audit_log import INDEX_PARTITION, INDEX_TABLE, AuditLog, AuditQuery
from tests.state.test_audit_log_support import CountingTransport, Seeded, opened, seed


@pytest.fixture
async def counted(
    tables_connection_string: str, table_prefix: str
) -> AsyncIterator[tuple[AuditLog, Seeded, CountingTransport]]:
    transport = CountingTransport()
    async with opened(tables_connection_string, table_prefix, transport) as (state, log):
        seeded = await seed(state, log)
        transport.requests.clear()
        yield log, seeded, transport


async def test_by_entra_id_reads_one_rowkey_range_then_the_old_layout(
    counted: tuple[AuditLog, Seeded, CountingTransport], table_prefix: str
) -> None:
    log, seeded, transport = counted
    bob = seeded.users[1]
    page = await log.query(AuditQuery(entra_id=bob, action="update"))
    assert len(page.records) == 2
    assert len(transport.requests) == 2
    ranged, legacy = transport.to(table_prefix + INDEX_TABLE)
    assert f"PartitionKey eq '{INDEX_PARTITION}'" in ranged and f"RowKey gt '{bob}_'" in ranged
    assert f"PartitionKey eq '{bob}'" in legacy  # rows written before the one-partition layout


async def test_by_cycle_reads_one_audit_partition(
    counted: tuple[AuditLog, Seeded, CountingTransport], table_prefix: str
) -> None:
    log, seeded, transport = counted
    newest = seeded.cycles[2]
    page = await log.query(AuditQuery(cycle_id=newest))
    assert len(page.records) == 3
    assert len(transport.requests) == 1
    (url,) = transport.to(table_prefix + "audit")
    assert f"PartitionKey eq '{newest}'" in url


async def test_a_walk_reads_only_the_partitions_of_cycles_that_did_something(
    counted: tuple[AuditLog, Seeded, CountingTransport], table_prefix: str
) -> None:
    log, seeded, transport = counted
    page = await log.query(AuditQuery(action="disable"))
    assert [r.action for r in page.records] == ["disable"]
    assert len(transport.to(table_prefix + "cycles")) == 1
    # five cycle rows: three with records, one quiet, one skipped; filters go to the server
    audit = transport.to(table_prefix + "audit")
    assert sorted(url.split("PartitionKey eq '")[1][:36] for url in audit) == sorted(seeded.cycles)
    assert all("action eq 'disable'" in url for url in audit)
    assert len(transport.requests) == 4
