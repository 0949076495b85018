"""Records indexed before the one-partition layout (a partition per Entra id) still answer "what
happened to this user" after an upgrade, newest first across both layouts and across pages, and
retention deletes the index rows of either layout."""

from __future__ import annotations

from datetime import timedelta

from azure.data.tables.aio import TableClient, TableServiceClient

from provisioning.model import AuditRecord
from provisioning.state.audit_log import INDEX_TABLE, AuditQuery
from provisioning.state.codecs import audit_to_entity
from tests.state.test_audit_log_support import BASE, cycle, guid, opened, record


async def write_old_layout(connection_string: str, prefix: str, records: list[AuditRecord]) -> None:
    """As releases before the one-partition index wrote them: the index partitioned by Entra id."""
    async with (
        TableClient.from_connection_string(connection_string, prefix + "audit") as audit,
        TableClient.from_connection_string(connection_string, prefix + INDEX_TABLE) as index,
    ):
        for r in records:
            await audit.upsert_entity(audit_to_entity(r))
            await index.upsert_entity({**audit_to_entity(r), "PartitionKey": r.source_id})


async def test_a_users_records_read_newest_first_across_both_layouts(
    tables_connection_string: str, table_prefix: str
) -> None:
    user, other = guid(), guid()
    old_cycle, new_cycle = guid(), guid()
    old = [record(old_cycle, user, BASE + timedelta(minutes=i)) for i in range(3)]
    new = [record(new_cycle, user, BASE + timedelta(days=1, minutes=i)) for i in range(3)]
    async with opened(tables_connection_string, table_prefix) as (state, log):
        await write_old_layout(tables_connection_string, table_prefix, old)
        await log.add([*new, record(new_cycle, other, BASE + timedelta(days=1))])
        await state.upsert_cycle(cycle(old_cycle, BASE))
        await state.upsert_cycle(cycle(new_cycle, BASE + timedelta(days=1)))
        everything = await log.query(AuditQuery(entra_id=user))
        pages, token = [], None
        while True:
            page = await log.query(AuditQuery(entra_id=user), top=2, continuation_token=token)
            pages.append([r.id for r in page.records])
            token = page.continuation_token
            if token is None:
                break
        recent = await log.query(AuditQuery(entra_id=user, since=BASE + timedelta(hours=12)))
    expected = [r.id for r in sorted(old + new, key=lambda r: r.activity_date_time, reverse=True)]
    assert [r.id for r in everything.records] == expected
    assert [i for page in pages for i in page] == expected and max(len(p) for p in pages) == 2
    assert [r.id for r in recent.records] == expected[:3]


async def test_retention_deletes_the_index_rows_of_either_layout(
    tables_connection_string: str, table_prefix: str
) -> None:
    user = guid()
    old_cycle, new_cycle, kept = guid(), guid(), guid()
    async with opened(tables_connection_string, table_prefix) as (state, log):
        await write_old_layout(tables_connection_string, table_prefix, [record(old_cycle, user, BASE)])
        await log.add([record(new_cycle, user, BASE + timedelta(hours=1))])
        await log.add([record(kept, user, BASE + timedelta(days=3))])
        for cycle_id, at in (
            (old_cycle, BASE),
            (new_cycle, BASE + timedelta(hours=1)),
            (kept, BASE + timedelta(days=3)),
        ):
            await state.upsert_cycle(cycle(cycle_id, at))
        assert await log.prune(BASE + timedelta(days=2)) == 2
        left = await log.query(AuditQuery(entra_id=user))
    assert [r.cycle_id for r in left.records] == [kept]
    async with TableServiceClient.from_connection_string(tables_connection_string) as service:
        index = [e async for e in service.get_table_client(table_prefix + INDEX_TABLE).list_entities()]
    assert [e["cycle_id"] for e in index] == [kept]
