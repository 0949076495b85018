"""Deployments that kept one row per (group, member) move to bucket rows group by group, on their
first write, and a crash part-way through never undoes a removal (Azurite and memory)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from provisioning.state import members as layout
from provisioning.state.tables import TableState


class Crash(Exception):
    """The process died here."""


def guids(count: int, *, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)]


async def write_legacy(state: TableState, members: dict[str, list[str]]) -> None:
    """The rows an earlier version wrote: PartitionKey = group, RowKey = member, nothing else."""
    rows = [{"PartitionKey": g, "RowKey": u} for g, users in members.items() for u in users]
    await state._submit("members", [("upsert", row) for row in rows])


async def keys_of(state: TableState, group_id: str) -> list[str]:
    query = state._t("members").query("PartitionKey eq @pk", parameters={"pk": group_id})
    return [str(e["RowKey"]) async for e in query]


def crash_after(state: TableState, monkeypatch: pytest.MonkeyPatch, transactions: int) -> None:
    """The members table takes `transactions` transactions, then the process dies."""
    table = state._t("members")
    real = table.submit
    left = [transactions]

    async def submit(operations: Sequence[Any], **options: Any) -> None:
        if left[0] == 0:
            raise Crash
        left[0] -= 1
        await real(operations, **options)

    monkeypatch.setattr(table, "submit", submit)


async def test_legacy_rows_are_read_as_members(state: TableState) -> None:
    await write_legacy(state, {"g1": ["u1", "u2"], "g2": ["u3"]})
    assert await state.list_members(["g1", "g2", "g3"]) == {"g1": {"u1", "u2"}, "g2": {"u3"}, "g3": set()}


async def test_the_first_write_moves_only_that_group_to_buckets(state: TableState) -> None:
    old = guids(150, seed=10)
    await write_legacy(state, {"g1": old, "g2": ["u9"]})
    await state.update_members(added={"g1": ["new"]}, removed={"g1": old[:2]})
    assert all(layout.packed_bucket(key) is not None for key in await keys_of(state, "g1"))
    assert await keys_of(state, "g2") == ["u9"]  # untouched groups keep their rows until written
    expected = (set(old) - set(old[:2])) | {"new"}
    assert await state.list_members(["g1", "g2"]) == {"g1": expected, "g2": {"u9"}}


async def test_a_crash_between_buckets_and_legacy_deletes_keeps_the_removals(
    state: TableState, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = guids(300, seed=11)
    by_bucket: dict[int, list[str]] = {}
    for member in old:
        by_bucket.setdefault(layout.bucket_of(member), []).append(member)
    emptied = next(b for b, users in by_bucket.items() if len(users) > 1)
    removed = [old[0], *by_bucket[emptied]]  # one member, and every member of one bucket
    await write_legacy(state, {"g1": old})

    crash_after(state, monkeypatch, 1)  # the bucket rows land, no legacy row is deleted
    with pytest.raises(Crash):
        await state.update_members(added={"g1": ["new"]}, removed={"g1": removed})
    monkeypatch.undo()
    expected = (set(old) - set(removed)) | {"new"}
    assert set(old) <= set(await keys_of(state, "g1"))  # every legacy row is still there
    assert (await state.list_members(["g1"]))["g1"] == expected

    await state.update_members(added={"g1": ["new"]}, removed={"g1": removed})  # the rerun
    keys = await keys_of(state, "g1")
    assert all(layout.packed_bucket(key) is not None for key in keys)
    assert layout.row_key(emptied) in keys  # the emptied bucket's row: it shadowed legacy rows
    assert (await state.list_members(["g1"]))["g1"] == expected

    await state.update_members(added={"g1": ["later"]}, removed={})
    assert layout.row_key(emptied) not in await keys_of(state, "g1")  # no legacy row left to shadow
    assert (await state.list_members(["g1"]))["g1"] == expected | {"later"}


async def test_a_crash_between_bucket_transactions_keeps_each_bucket_whole(
    state: TableState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group past one transaction: the buckets written hold the new state, the others the old."""
    monkeypatch.setattr(layout, "BATCH_BYTES", 20_000)  # ~12 buckets of ~16 GUIDs a transaction
    old = guids(1000, seed=12)
    await write_legacy(state, {"g1": old})
    removed, added = old[::3], guids(100, seed=13)
    table = state._t("members")
    real = table.submit
    written: set[str] = set()
    calls = [0]

    async def submit(operations: Sequence[Any], **options: Any) -> None:
        calls[0] += 1
        if calls[0] > 2:
            raise Crash
        written.update(str(op[1]["RowKey"]) for op in operations)
        await real(operations, **options)

    monkeypatch.setattr(table, "submit", submit)
    with pytest.raises(Crash):
        await state.update_members(added={"g1": added}, removed={"g1": removed})
    monkeypatch.setattr(table, "submit", real)
    done = {layout.packed_bucket(key) for key in written}
    assert 0 < len(done) < layout.BUCKETS
    new = (set(old) | set(added)) - set(removed)
    expected = {m for m in new if layout.bucket_of(m) in done} | {
        m for m in old if layout.bucket_of(m) not in done
    }
    assert (await state.list_members(["g1"]))["g1"] == expected

    await state.update_members(added={"g1": added}, removed={"g1": removed})  # the rerun
    assert (await state.list_members(["g1"]))["g1"] == new
    assert all(layout.packed_bucket(key) is not None for key in await keys_of(state, "g1"))


async def test_drop_deletes_legacy_and_bucket_rows(
    state: TableState, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = guids(120, seed=14)
    await write_legacy(state, {"g1": old})
    crash_after(state, monkeypatch, 1)  # both kinds of rows in the partition
    with pytest.raises(Crash):
        await state.update_members(added={"g1": ["new"]}, removed={})
    monkeypatch.undo()
    assert len(await keys_of(state, "g1")) > len(old)
    await state.drop_members("g1")
    assert await keys_of(state, "g1") == []
    assert (await state.list_members(["g1"]))["g1"] == set()
