"""Retention: prune deletes the records of cycles that started before the cutoff, their index rows
and those cycle rows; it keeps recent ones, the newest successful cycle row, and can be repeated."""

from __future__ import annotations

from datetime import timedelta

from azure.data.tables.aio import TableServiceClient

from provisioning.state.audit_log import INDEX_TABLE, AuditQuery
from tests.state.test_audit_log_support import BASE, cycle, guid, opened, record, seed, write_unindexed


async def rows(connection_string: str, table: str) -> list[dict[str, object]]:
    async with TableServiceClient.from_connection_string(connection_string) as service:
        return [dict(e) async for e in service.get_table_client(table).list_entities()]


async def test_prune_removes_old_records_and_their_index_rows(
    tables_connection_string: str, table_prefix: str
) -> None:
    async with opened(tables_connection_string, table_prefix) as (state, log):
        seeded = await seed(state, log)
        deleted = await log.prune(BASE + timedelta(minutes=90))
        assert deleted == 4  # two records in each of the two oldest cycles
        newest = seeded.cycles[2]
        assert {r.cycle_id for r in (await log.query(AuditQuery())).records} == {newest}
        for user in seeded.users:
            assert {r.cycle_id for r in (await log.query(AuditQuery(entra_id=user))).records} <= {newest}
        remaining = {c.id for c in await state.list_cycles(limit=50)}
        assert not remaining & set(seeded.cycles[:2]) and newest in remaining
        assert len(remaining) == 3  # the newest cycle, the quiet one and the skipped one (not older)
    index = await rows(tables_connection_string, table_prefix + INDEX_TABLE)
    assert sorted(str(e["RowKey"]) for e in index) == sorted(
        f"{e['source_id']}_{e['RowKey']}"
        for e in await rows(tables_connection_string, table_prefix + "audit")
    )
    assert len(index) == 3


async def test_prune_keeps_the_newest_successful_cycle_row(
    tables_connection_string: str, table_prefix: str
) -> None:
    async with opened(tables_connection_string, table_prefix) as (state, log):
        seeded = await seed(state, log)
        assert await log.prune(BASE + timedelta(days=2)) == 7
        assert [c.id for c in await state.list_cycles(limit=50)] == [seeded.cycles[2]]
        assert (await log.query(AuditQuery())).records == []
        assert await log.prune(BASE + timedelta(days=2)) == 0  # repeatable; the kept row stays
        assert [c.id for c in await state.list_cycles(limit=50)] == [seeded.cycles[2]]
    assert await rows(tables_connection_string, table_prefix + INDEX_TABLE) == []


async def test_prune_handles_big_partitions_and_records_without_index_rows(
    tables_connection_string: str, table_prefix: str
) -> None:
    """Records written before the index existed (no index rows) are pruned as well."""
    async with opened(tables_connection_string, table_prefix) as (state, log):
        old, busy = guid(), guid()
        await state.upsert_cycle(
            cycle(old, BASE, status="finished-with-failures", counts={"create/success": 1})
        )
        indexed = [record(old, busy, BASE + timedelta(seconds=i)) for i in range(150)]
        await log.add(indexed)
        legacy = [record(old, guid(), BASE + timedelta(minutes=3, seconds=i)) for i in range(5)]
        await write_unindexed(tables_connection_string, table_prefix, legacy)
        recent = guid()
        await state.upsert_cycle(cycle(recent, BASE + timedelta(days=40), counts={"update/success": 1}))
        kept = record(recent, busy, BASE + timedelta(days=40, seconds=5))
        await log.add([kept])
        assert await log.prune(BASE + timedelta(days=10)) == 155
        assert (await log.query(AuditQuery(entra_id=busy), top=1000)).records == [kept]
        assert [c.id for c in await state.list_cycles(limit=50)] == [recent]
