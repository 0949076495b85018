"""Every kind of change in Entra, carried by the next cycle as exactly one operation (fakes, no I/O)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.engine.conftest import Bench
from tests.engine.fakes import FakeSource

Change = Callable[[FakeSource, list[str]], dict[str, str]]


def attribute_change(s: FakeSource, ids: list[str]) -> dict[str, str]:
    s.update_user(ids[0], displayName="Renamed", surname="Renamed")
    return {ids[0]: "update"}


def disabled(s: FakeSource, ids: list[str]) -> dict[str, str]:
    s.update_user(ids[1], accountEnabled=False)
    return {ids[1]: "disable"}


def soft_delete(s: FakeSource, ids: list[str]) -> dict[str, str]:
    s.soft_delete(ids[1])
    return {ids[1]: "disable"}


def hard_delete(s: FakeSource, ids: list[str]) -> dict[str, str]:
    s.hard_delete(ids[1])
    return {ids[1]: "disable"}  # HARD_DELETE_ACTION=disable by default: meeting history is kept


def unassigned(s: FakeSource, ids: list[str]) -> dict[str, str]:
    s.unassign(ids[0])
    return {ids[0]: "disable"}


def member_removed(s: FakeSource, ids: list[str]) -> dict[str, str]:
    s.remove_member("g1", ids[-1])
    return {ids[-1]: "disable"}


def member_added(s: FakeSource, ids: list[str]) -> dict[str, str]:
    s.add_member("g1", "u-extra")
    return {"u-extra": "create"}


def newly_assigned(s: FakeSource, ids: list[str]) -> dict[str, str]:
    s.assign("u-extra")
    return {"u-extra": "create"}


def group_unassigned(s: FakeSource, ids: list[str]) -> dict[str, str]:
    s.unassign("g1")
    return {u: "disable" for u in ids[len(ids) // 2 :]}


CHANGES: list[Change] = [
    attribute_change,
    disabled,
    soft_delete,
    hard_delete,
    unassigned,
    member_removed,
    member_added,
    newly_assigned,
    group_unassigned,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__)
async def test_the_next_cycle_does_exactly_the_change(bench: Bench, change: Change) -> None:
    ids = bench.seed(8)
    await bench.cycle()
    bench.target.calls.clear()
    expected = change(bench.source, ids)
    result = await bench.cycle()
    assert result.cycle.status == "succeeded" and result.cycle.kind == "incremental"
    actions: dict[str, int] = {}
    for action in expected.values():
        actions[f"{action}/success"] = actions.get(f"{action}/success", 0) + 1
    assert result.counts.to_dict() == actions
    assert bench.target.writes == len(expected)


async def test_a_quiet_cycle_writes_nothing(bench: Bench) -> None:
    bench.seed(8)
    await bench.cycle()
    bench.target.calls.clear()
    quiet = await bench.cycle()
    assert quiet.counts.to_dict() == {} and bench.target.calls == {}


async def test_restore_after_soft_delete_reenables(bench: Bench) -> None:
    ids = bench.seed(4)
    await bench.cycle()
    bench.source.soft_delete(ids[0])
    await bench.cycle()
    bench.source.restore(ids[0])
    result = await bench.cycle()
    assert result.counts.to_dict() == {"update/success": 1}
    assert f"{ids[0]}@contoso.example" in bench.target.active_names()


async def test_hard_delete_deletes_only_when_opted_in(bench: Bench) -> None:
    ids = bench.seed(4)
    await bench.cycle()
    bench.source.hard_delete(ids[0])
    result = await bench.cycle(hard_delete_action="delete")
    assert result.counts.to_dict() == {"delete/success": 1}
    assert bench.target.by_name(f"{ids[0]}@contoso.example") is None


async def test_an_expired_delta_link_is_a_resync_without_duplicates(bench: Bench) -> None:
    ids = bench.seed(6)
    await bench.cycle()
    bench.source.expire_links()
    result = await bench.cycle()
    assert result.cycle.kind == "resync" and result.cycle.status == "succeeded"
    assert result.counts["create", "success"] == 0
    assert len(bench.target.accounts) == len(ids)
