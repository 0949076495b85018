"""Groups pushed to GoTo in the same cycle as their users, on both stores (fakes for Entra and GoTo)."""

from __future__ import annotations

from typing import Any

from provisioning.model import AuditStatus, CycleStatus, ObjectType
from tests.engine.conftest import Bench


async def _records(bench: Bench, cycle_id: str) -> list:
    return list(await bench.state.list_audit_records(cycle_id))


def _sales(bench: Bench, members: int = 3) -> list[str]:
    ids = [f"s{i:03d}" for i in range(members)]
    for user_id in ids:
        bench.source.add_user(user_id)
    bench.source.add_group("g-sales", *ids, name="Sales")
    bench.source.assign("g-sales", kind="Group")
    return ids


async def test_the_first_cycle_creates_the_users_then_the_group_filled_with_them(bench: Bench) -> None:
    groups = bench.push_groups()
    _sales(bench)
    result = await bench.cycle()
    assert result.cycle.status is CycleStatus.SUCCEEDED
    assert groups.member_names("Sales") == {"s000", "s001", "s002"}
    assert groups.named("Sales")["externalId"] == "g-sales"
    assert result.counts["create", "success"] == 4  # three users and the group
    link = await bench.state.get_link("g-sales", object_type=ObjectType.GROUP)
    assert link is not None and link.target_id == groups.named("Sales")["id"]
    assert groups.calls["create"] == 1 and groups.calls["add_members"] == 1  # created empty, then filled
    assert bench.source.calls["get_group"] == 0  # the assignment names the group: no read per group


async def test_a_quiet_cycle_sends_nothing_to_goto(bench: Bench) -> None:
    groups = bench.push_groups()
    _sales(bench)
    for n in range(5):
        bench.source.add_group(f"g{n}", name=f"Team {n}")
        bench.source.assign(f"g{n}", kind="Group")
    await bench.cycle()
    writes, user_writes = groups.writes, bench.target.writes
    reads: list[object] = []
    list_members = bench.state.list_members

    async def counted(group_ids: Any) -> Any:
        reads.append(group_ids)
        return await list_members(group_ids)

    bench.state.list_members = counted  # type: ignore[method-assign]
    result = await bench.cycle()
    assert (groups.writes, bench.target.writes, groups.calls["find"]) == (writes, user_writes, 0)
    assert result.counts.done() == 0
    assert [ids for ids in reads if ids] == []  # nothing to do: no group's membership rows are read


async def test_a_membership_add_and_remove_reach_goto_in_one_cycle_with_the_new_user(bench: Bench) -> None:
    groups = bench.push_groups()
    ids = _sales(bench)
    await bench.cycle()
    bench.source.add_user("s-new")
    bench.source.add_member("g-sales", "s-new")
    bench.source.remove_member("g-sales", ids[0])
    result = await bench.cycle()
    assert groups.member_names("Sales") == {"s001", "s002", "s-new"}
    assert result.counts["create", "success"] == 1  # the new user; the group is an update
    assert result.counts["update", "success"] == 1
    assert result.counts["disable", "success"] == 1  # s000 left the group, so the app


async def test_a_renamed_group_is_renamed_in_goto(bench: Bench) -> None:
    groups = bench.push_groups()
    _sales(bench)
    await bench.cycle()
    bench.source.rename_group("g-sales", "Sales EMEA")
    result = await bench.cycle()
    assert groups.by_name("Sales") is None and len(groups.named("Sales EMEA")["members"]) == 3
    records = [r for r in await _records(bench, result.cycle.id) if r.object_type is ObjectType.GROUP]
    changed = [
        (r.action, [(p.display_name, p.old_value, p.new_value) for p in r.modified_properties])
        for r in records
    ]
    assert changed == [("update", [("displayName", "Sales", "Sales EMEA")])]


async def test_an_unassigned_group_is_deleted_and_its_users_disabled(bench: Bench) -> None:
    groups = bench.push_groups()
    _sales(bench)
    bench.source.add_user("direct")
    bench.source.assign("direct")  # an empty read would hold every deprovision (tested elsewhere)
    await bench.cycle()
    bench.source.unassign("g-sales")
    result = await bench.cycle()
    assert groups.groups == {}
    assert result.counts["delete", "success"] == 1 and result.counts["disable", "success"] == 3
    assert await bench.state.get_link("g-sales", object_type=ObjectType.GROUP) is None


async def test_a_deleted_group_is_deleted_and_kept_when_the_setting_says_so(bench: Bench) -> None:
    groups = bench.push_groups(deprovision_action="keep")
    _sales(bench)
    await bench.cycle()
    bench.source.delete_group("g-sales")
    result = await bench.cycle()
    assert groups.by_name("Sales") is not None  # left alone
    assert result.counts["other", "skipped"] == 1
    link = await bench.state.get_link("g-sales", object_type=ObjectType.GROUP)
    assert link is not None and not link.active
    again = await bench.cycle()
    assert again.counts["other", "skipped"] == 0  # not managed any more: not planned again


async def test_a_taken_name_adopts_the_goto_group_only_on_an_exact_match(bench: Bench) -> None:
    groups = bench.push_groups()
    bench.source.add_user("x1")
    outsider = bench.target.add_existing("outsider@contoso.example")
    existing = groups.add_existing("Sales", outsider)
    groups.add_existing("marketing")
    _sales(bench)
    bench.source.add_group("g-mkt", name="Marketing")
    bench.source.assign("g-mkt", kind="Group")
    result = await bench.cycle()
    assert groups.named("Sales")["id"] == existing
    assert groups.member_names("Sales") == {"outsider", "s000", "s001", "s002"}  # the outsider is left
    records = {r.source_id: r for r in await _records(bench, result.cycle.id)}
    assert "adopted the existing GoTo group named exactly 'Sales'" in (records["g-sales"].reason or "")
    assert records["g-mkt"].status is AuditStatus.FAILURE and records["g-mkt"].error_code == "GroupNameTaken"
    assert groups.named("marketing")["members"] == []  # nothing written to the case-different group


async def test_a_group_over_the_cap_is_pushed_truncated_and_reported(bench: Bench) -> None:
    groups = bench.push_groups(member_cap=100)
    _sales(bench, members=250)
    result = await bench.cycle()
    assert len(groups.named("Sales")["members"]) == 100
    assert groups.calls["add_members"] == 1
    records = [r for r in await _records(bench, result.cycle.id) if r.object_type is ObjectType.GROUP]
    assert [r.status for r in records] == [AuditStatus.WARNING]
    assert "truncated: 250 provisioned members in Entra, 100 pushed (GROUP_MEMBER_CAP=100)" in (
        records[0].reason or ""
    )
    assert result.cycle.status is CycleStatus.SUCCEEDED and result.counts["create", "warning"] == 1
    cut = [{"id": "g-sales", "displayName": "Sales", "members": 250, "pushed": 100}]
    assert ("groups_truncated", {"groups": cut, "cap": 100}) in bench.told


async def test_a_user_in_two_groups_leaving_one_stays_in_the_other(bench: Bench) -> None:
    groups = bench.push_groups()
    ids = _sales(bench)
    bench.source.add_group("g-eng", ids[0], name="Engineering")
    bench.source.assign("g-eng", kind="Group")
    await bench.cycle()
    bench.source.remove_member("g-sales", ids[0])
    result = await bench.cycle()
    assert groups.member_names("Sales") == {"s001", "s002"}
    assert groups.member_names("Engineering") == {"s000"}
    assert result.counts["disable", "success"] == 0  # still assigned through Engineering
    assert bench.target.active_names() >= {"s000@contoso.example"}


async def test_a_dry_run_shows_the_group_operations_and_writes_nothing(bench: Bench) -> None:
    groups = bench.push_groups()
    _sales(bench)
    result = await bench.cycle(dry_run=True)
    assert groups.writes == 0 and bench.target.writes == 0
    planned = [op for op in result.planned if op.object_type is ObjectType.GROUP]
    assert [op.action.value for op in planned] == ["create"]
    assert planned[0].members is not None and len(planned[0].members.pushed) == 3


async def test_group_deletes_count_against_the_deletion_threshold(bench: Bench) -> None:
    groups = bench.push_groups()
    bench.source.add_user("d1")
    bench.source.assign("d1")
    for n in range(3):
        bench.source.add_group(f"g{n}", name=f"Team {n}")
        bench.source.assign(f"g{n}", kind="Group")
    await bench.cycle()
    for n in range(3):
        bench.source.unassign(f"g{n}")
    result = await bench.cycle(deprovision_threshold=2)
    assert len(groups.groups) == 3  # held for an admin
    assert result.counts["stagedDelete", "skipped"] == 3
    approved = await bench.engine().staged.settle(approve=True)
    assert approved.counts["delete", "success"] == 3 and groups.groups == {}


async def test_a_failed_group_is_retried_by_the_ladder(bench: Bench) -> None:
    groups = bench.push_groups()
    groups.add_existing("sales")  # case-different: not adopted
    _sales(bench)
    first = await bench.cycle()
    assert first.counts["create", "failure"] == 1
    assert "g-sales" in await bench.state.due_retries()
    del groups.groups[groups.named("sales")["id"]]
    second = await bench.cycle()
    assert second.counts["create", "success"] == 1
    assert groups.member_names("Sales") == {"s000", "s001", "s002"}


async def test_a_group_failing_again_waits_for_its_rung_of_the_ladder(bench: Bench) -> None:
    groups = bench.push_groups()
    groups.add_existing("sales")  # case-different: refused each time
    _sales(bench)
    await bench.cycle()
    await bench.cycle()  # the first rung is the next cycle: tried again, refused again
    assert groups.calls["create"] == 2
    await bench.cycle()  # the next rung is hours away: not tried in this cycle
    assert groups.calls["create"] == 2
