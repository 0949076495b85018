"""The same scenarios on Table Storage (Azurite) and on MemoryState: the in-memory state keeps
TableState's semantics (merging upserts, order, lease, held operations, audit log), so engine
tests that use it test what production does."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from azure.data.tables import EdmType, EntityProperty

from provisioning.engine.decisions import RETRY_LADDER_HOURS
from provisioning.model import Assignment, AuditRecord, AuditStatus, Counts, CycleRecord, CycleStatus, Link
from provisioning.state.audit_log import AuditQuery
from provisioning.state.tables import TableState
from tests.fixtures.retries import record_failures

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def test_links(state: TableState) -> None:
    links = [
        Link(f"u{i:03d}", f"g{i}", i % 2 == 0, {"userName": f"u{i}@x.com"}, {"mail": None})
        for i in range(120)
    ]
    await state.upsert_links(links)
    assert [link async for link in state.list_links()] == links  # RowKey order
    assert await state.get_links(["u001", "nope"]) == {"u001": links[1]}
    await state.delete_links(["u001", "u001", "never"])
    assert await state.get_link("u001") is None
    with pytest.raises(ValueError):
        await state.get_link("a/b")


async def test_watermarks_assignments_members(state: TableState) -> None:
    await state.set_watermark("users", "https://graph/delta?1")
    assert await state.get_watermark("users") == "https://graph/delta?1"
    await state.set_watermark("users", None)
    await state.set_watermark("never-set", None)
    assert await state.get_watermark("users") is None
    a, b = Assignment("a", "u1", "User", "r1"), Assignment("b", "g1", "Group", "r1", "Sales")
    await state.replace_assignments([], [b, a])
    assert await state.list_assignments() == [a, b]
    await state.replace_assignments([a, b], [b])
    assert await state.list_assignments() == [b]
    await state.update_members(added={"g1": ["u2", "u1"], "g2": ["u3"]}, removed={"g2": ["gone"]})
    await state.update_members(added={}, removed={"g1": ["u1"]})
    assert await state.list_members(["g1", "g2", "g3"]) == {"g1": {"u2"}, "g2": {"u3"}, "g3": set()}
    await state.drop_members("g2")
    assert (await state.list_members(["g2"]))["g2"] == set()


async def test_retries_and_control_rows_merge(state: TableState) -> None:
    for _ in range(len(RETRY_LADDER_HOURS) + 1):
        await record_failures(state, {"u1": "boom"}, now=NOW)
    await record_failures(state, {"u2": "bad"}, now=NOW)
    retries = await state.list_retries()
    assert retries["u1"]["Attempts"] == len(RETRY_LADDER_HOURS) + 1 and retries["u1"]["GivenUp"] is True
    assert retries["u2"]["PartitionKey"] == "retry" and retries["u2"]["RowKey"] == "u2"
    assert await state.due_retries(now=NOW) == {"u2"}
    await state.clear_retries(["u2", "unknown"])
    assert set(await state.list_retries()) == {"u1"}

    await state.set_control("quarantine", {"Reason": "401", "Since": "x", "Count": 3})
    await state.set_control("quarantine", {"Reason": "403", "Since": None})  # merges; None is not written
    row = await state.get_control("quarantine")
    assert row is not None and (row["Reason"], row["Since"], row["Count"]) == ("403", "x", 3)
    await state.delete_control("quarantine")
    await state.delete_control("quarantine")
    assert await state.get_control("quarantine") is None


async def test_lease(state: TableState) -> None:
    assert await state.get_lease() is None
    assert await state.acquire_lease("a", seconds=90, now=NOW)
    assert not await state.acquire_lease("b", seconds=90, now=NOW + timedelta(seconds=10))
    assert await state.acquire_lease("a", seconds=90, now=NOW + timedelta(seconds=10))
    assert await state.get_lease() == ("a", NOW + timedelta(seconds=100))
    assert await state.acquire_lease("b", seconds=90, now=NOW + timedelta(seconds=100))
    await state.release_lease("a")
    assert await state.get_lease() == ("b", NOW + timedelta(seconds=190))
    await state.release_lease("b")
    assert await state.get_lease() is None


async def test_held_operations(state: TableState) -> None:
    with pytest.raises(TypeError):  # the SDK refuses a plain int past Int32, memory too
        await state.add_held_operations("staged", [{"SourceId": "u0", "Big": 2**40}])
    rows = [
        {"SourceId": f"u{i}", "Action": "disable", "Big": EntityProperty(2**40, EdmType.INT64)}
        for i in range(3)
    ]
    await state.add_held_operations("staged", rows)
    await state.add_held_operations("pending", [{"SourceId": "u9", "Action": "delete"}])
    held = await state.list_held_operations("staged")
    assert [(r["RowKey"], r["Action"]) for r in held] == [
        ("u0", "disable"),
        ("u1", "disable"),
        ("u2", "disable"),
    ]
    assert all(r["Big"] == EntityProperty(2**40, EdmType.INT64) for r in held)
    await state.clear_held_operations("staged")
    assert await state.list_held_operations("staged") == []
    assert [r["RowKey"] for r in await state.list_held_operations("pending")] == ["u9"]


async def test_audit_records_and_cycles(state: TableState) -> None:
    cycle_id = str(uuid.uuid4())
    records = [
        AuditRecord(
            id=f"r{i}",
            cycle_id=cycle_id,
            change_id=f"ch{i}",
            activity_date_time=(NOW + timedelta(seconds=i)).isoformat(),
            action="update",
            status=AuditStatus.SUCCESS if i else AuditStatus.FAILURE,
            source_id="u1" if i % 2 else "u2",
        )
        for i in range(5)
    ]
    await state.add_audit_records(records)
    assert [r.id for r in await state.list_audit_records(cycle_id)] == ["r4", "r3", "r2", "r1", "r0"]
    await state.upsert_cycle(
        CycleRecord(
            id=cycle_id, started=NOW.isoformat(), kind="full", counts=Counts.from_dict({"update/success": 4})
        )
    )
    await state.upsert_cycle(
        CycleRecord(
            id="older",
            started=(NOW - timedelta(hours=1)).isoformat(),
            kind="incremental",
            status=CycleStatus.FAILED,
        )
    )
    cycles = await state.list_cycles(limit=5)
    assert [c.id for c in cycles] == [cycle_id, "older"] and cycles[0].counts.to_dict() == {
        "update/success": 4
    }
    assert state.audit_log is not None
    page = await state.audit_log.query(AuditQuery(entra_id="u1"), top=1)
    assert [r.id for r in page.records] == ["r3"] and page.continuation_token
    rest = await state.audit_log.query(
        AuditQuery(entra_id="u1"), top=5, continuation_token=page.continuation_token
    )
    assert [r.id for r in rest.records] == ["r1"]
    failed = await state.audit_log.query(AuditQuery(status=AuditStatus.FAILURE))
    assert [r.id for r in failed.records] == ["r0"]
