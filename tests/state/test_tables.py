"""TableState against Azurite: links, watermarks, assignments, members, retries, audit, cycles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from provisioning.model import (
    Assignment,
    AuditRecord,
    AuditStatus,
    Counts,
    CycleRecord,
    Link,
    ModifiedProperty,
)
from provisioning.state.tables import TableState
from tests.fixtures.retries import record_failures


@pytest.fixture
async def state(tables_connection_string: str, table_prefix: str) -> AsyncIterator[TableState]:
    async with TableState.from_connection_string(tables_connection_string, prefix=table_prefix) as s:
        yield s


async def test_links_round_trip_in_batches(state: TableState) -> None:
    links = [
        Link(f"u{i}", f"g{i}", i % 2 == 0, {"userName": f"u{i}@contoso.com"}, {"mail": None})
        for i in range(250)
    ]
    await state.upsert_links(links)
    stored = [link async for link in state.list_links()]
    assert len(stored) == 250
    got = await state.get_links(["u1", "u2", "missing"])
    assert set(got) == {"u1", "u2"}
    assert got["u1"] == links[1]
    await state.delete_links(["u1"])
    assert await state.get_link("u1") is None


async def test_watermarks(state: TableState) -> None:
    assert await state.get_watermark("users") is None
    await state.set_watermark("users", "https://graph/v1.0/users/delta?$deltatoken=abc")
    assert await state.get_watermark("users") == "https://graph/v1.0/users/delta?$deltatoken=abc"
    await state.set_watermark("users", None)
    assert await state.get_watermark("users") is None


async def test_replace_assignments_writes_only_the_diff(state: TableState) -> None:
    a = Assignment("a", "u1", "User", "r1")
    b = Assignment("b", "g1", "Group", "r1", "Sales")
    await state.replace_assignments([], [a, b])
    assert sorted(await state.list_assignments(), key=lambda x: x.id) == [a, b]
    b2 = Assignment("b", "g1", "Group", "r2", "Sales")
    c = Assignment("c", "u2", "User", "r1")
    await state.replace_assignments([a, b], [b2, c])
    assert sorted(await state.list_assignments(), key=lambda x: x.id) == [b2, c]


async def test_members(state: TableState) -> None:
    await state.update_members(added={"g1": [f"u{i}" for i in range(150)], "g2": ["u1"]}, removed={})
    await state.update_members(added={"g2": ["u2"]}, removed={"g1": ["u0", "never-there"]})
    members = await state.list_members(["g1", "g2", "g3"])
    assert len(members["g1"]) == 149 and "u0" not in members["g1"]
    assert members["g2"] == {"u1", "u2"} and members["g3"] == set()
    await state.drop_members("g1")
    assert (await state.list_members(["g1"]))["g1"] == set()


async def test_retries_count_attempts_and_clear(state: TableState) -> None:
    await record_failures(state, {"u1": "400 bad domain", "u2": "timeout"})
    await record_failures(state, {"u1": "400 bad domain"})
    retries = await state.list_retries()
    assert retries["u1"]["Attempts"] == 2 and retries["u2"]["Attempts"] == 1
    await state.clear_retries(["u1", "unknown"])
    assert set(await state.list_retries()) == {"u2"}


async def test_audit_records_round_trip_newest_first(state: TableState) -> None:
    base = datetime(2026, 11, 1, tzinfo=UTC)
    records = [
        AuditRecord(
            id=f"r{i}",
            cycle_id="c1",
            change_id=f"ch{i}",
            activity_date_time=(base + timedelta(seconds=i)).isoformat(),
            action="update",
            status=AuditStatus.SUCCESS,
            source_id=f"u{i}",
            modified_properties=(ModifiedProperty("displayName", "A", "B"),),
            duration_ms=12,
        )
        for i in range(120)
    ]
    await state.add_audit_records(records)
    stored = await state.list_audit_records("c1")
    assert [r.id for r in stored] == [f"r{i}" for i in reversed(range(120))]
    assert stored[-1] == records[0]


async def test_cycles_newest_first(state: TableState) -> None:
    for i in range(3):
        started = datetime(2026, 11, 1, 10, i, tzinfo=UTC).isoformat()
        await state.upsert_cycle(
            CycleRecord(
                id=f"c{i}",
                started=started,
                kind="incremental",
                counts=Counts.from_dict({"create/success": i}),
            )
        )
    cycles = await state.list_cycles(limit=2)
    assert [c.id for c in cycles] == ["c2", "c1"]
    assert cycles[0].counts.to_dict() == {"create/success": 2}
