"""Group members are kept in a few bucket rows per group (state/members.py), on Azurite and memory:
a group is one transaction, a change rewrites only its buckets, a big group spills over rows."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from provisioning.errors import StorageError
from provisioning.state import members as layout
from provisioning.state.tables import TableState


def guids(count: int, *, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)]


async def rows_of(state: TableState, group_id: str) -> list[dict[str, Any]]:
    query = state._t("members").query("PartitionKey eq @pk", parameters={"pk": group_id})
    return [dict(e) async for e in query]


def record_batches(state: TableState, monkeypatch: pytest.MonkeyPatch) -> list[list[Any]]:
    """Every transaction the members table is given, as (kind, RowKey) lists."""
    table = state._t("members")
    real = table.submit
    batches: list[list[Any]] = []

    async def submit(operations: Sequence[Any], **options: Any) -> None:
        batches.append([(op[0], op[1]["RowKey"]) for op in operations])
        await real(operations, **options)

    monkeypatch.setattr(table, "submit", submit)
    return batches


async def test_a_group_is_a_few_bucket_rows_in_one_transaction(
    state: TableState, monkeypatch: pytest.MonkeyPatch
) -> None:
    big, small = guids(2000, seed=1), guids(10, seed=2)
    batches = record_batches(state, monkeypatch)
    await state.update_members(added={"g1": big, "g2": small}, removed={})
    assert await state.list_members(["g1", "g2", "g3"]) == {"g1": set(big), "g2": set(small), "g3": set()}
    assert len(batches) == 2  # one transaction per group
    assert sorted(len(b) for b in batches) == [len({layout.bucket_of(m) for m in small}), layout.BUCKETS]
    stored = await rows_of(state, "g1")
    assert len(stored) == layout.BUCKETS
    assert all(layout.packed_bucket(r["RowKey"]) is not None for r in stored)


async def test_a_change_rewrites_only_the_buckets_it_touches(
    state: TableState, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = guids(1000, seed=3)
    await state.update_members(added={"g1": members}, removed={})
    newcomer = next(m for m in guids(50, seed=4) if layout.bucket_of(m) != layout.bucket_of(members[0]))
    batches = record_batches(state, monkeypatch)
    # an id both added and removed ends removed, as when added rows were upserted, then removed deleted
    both = members[1]
    await state.update_members(added={"g1": [newcomer, both]}, removed={"g1": [members[0], both]})
    touched = {layout.row_key(layout.bucket_of(m)) for m in (newcomer, members[0], both)}
    assert batches == [[("upsert", key) for key in sorted(touched)]]
    expected = (set(members) | {newcomer}) - {members[0], both}
    assert (await state.list_members(["g1"]))["g1"] == expected


async def test_an_emptied_bucket_row_is_deleted(state: TableState) -> None:
    members = guids(3, seed=5)
    await state.update_members(added={"g1": members}, removed={})
    await state.update_members(added={}, removed={"g1": members[:1]})
    assert len(await rows_of(state, "g1")) == len({layout.bucket_of(m) for m in members[1:]})
    await state.update_members(added={}, removed={"g1": members[1:]})
    assert await rows_of(state, "g1") == []
    assert (await state.list_members(["g1"]))["g1"] == set()


async def test_a_group_of_a_quarter_million_members_round_trips(state: TableState) -> None:
    """Past one transaction's 4 MiB: the buckets go in several, each bucket's rows whole."""
    members = guids(250_000, seed=6)
    await state.update_members(added={"g1": members}, removed={})
    stored = await rows_of(state, "g1")
    assert len(stored) == layout.BUCKETS
    assert all(len(v) <= layout.PROPERTY_UNITS for row in stored for k, v in row.items() if k[0] == "M")
    gone = members[::1000]
    await state.update_members(added={"g1": ["one-more"]}, removed={"g1": gone})
    assert (await state.list_members(["g1"]))["g1"] == (set(members) - set(gone)) | {"one-more"}


async def test_a_bucket_too_big_for_one_row_spills_into_more(
    state: TableState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a bucket past 12,096 GUIDs (a group past ~770,000 members) does, with smaller rows."""
    monkeypatch.setattr(layout, "PROPERTY_UNITS", 370)  # 10 GUIDs a property
    monkeypatch.setattr(layout, "PROPERTIES_PER_ROW", 2)  # 20 a row
    members = guids(3000, seed=7)  # ~47 a bucket: 3 rows each
    await state.update_members(added={"g1": members}, removed={})
    keys = [r["RowKey"] for r in await rows_of(state, "g1")]
    assert len(keys) > layout.BUCKETS and any(key.endswith(".2") for key in keys)
    assert (await state.list_members(["g1"]))["g1"] == set(members)
    shrink = [m for m in members if layout.bucket_of(m) == 0][5:]  # bucket 0 down to 5: one row
    await state.update_members(added={}, removed={"g1": shrink})
    left = [r for r in await rows_of(state, "g1") if layout.packed_bucket(r["RowKey"]) == 0]
    assert [r["RowKey"] for r in left] == [layout.row_key(0)]
    assert (await state.list_members(["g1"]))["g1"] == set(members) - set(shrink)


async def test_a_group_too_big_for_the_layout_fails_naming_it(
    state: TableState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(layout, "BATCH_BYTES", 20_000)  # one bucket's rows no longer fit a transaction
    await state.update_members(added={"small": guids(5, seed=8)}, removed={})
    with pytest.raises(StorageError, match="group huge has more members"):
        await state.update_members(added={"huge": guids(64 * 600, seed=9)}, removed={})
    assert await rows_of(state, "huge") == []  # refused before anything was written
    assert len((await state.list_members(["small"]))["small"]) == 5
