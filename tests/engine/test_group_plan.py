"""The group planner, table-style: pure, no I/O."""

from __future__ import annotations

import pytest

from provisioning.engine.group_plan import MEMBERS, GroupCandidate, member_plan, plan_group
from provisioning.engine.plan import Action
from provisioning.mapping.file import load_default
from provisioning.model import Link, ObjectType

MAPPING = load_default().groups


def _link(*members: str, name: str = "Sales", active: bool = True, total: int | None = None) -> Link:
    written: dict[str, object] = {"displayName": name, "externalId": "g1", MEMBERS: list(members)}
    if total is not None:
        written["memberTotal"] = total
    return Link("g1", "grp-1", active, written, {"displayName": name}, ObjectType.GROUP)


def test_a_new_group_is_created_with_its_mapped_values_and_every_provisioned_member() -> None:
    candidate = GroupCandidate("g1", {"displayName": "Sales"}, None, True, members={"u1": "a", "u2": "b"})
    op = plan_group(candidate, MAPPING, cap=100)
    assert op is not None and op.action is Action.CREATE and op.object_type is ObjectType.GROUP
    assert op.values == {"displayName": "Sales", "externalId": "g1"}
    assert op.members is not None and op.members.pushed == ("a", "b") and op.members.add == ("a", "b")
    assert not op.members.truncated


def test_nothing_to_do_when_goto_holds_the_group_as_planned() -> None:
    candidate = GroupCandidate("g1", {"displayName": "Sales"}, _link("a"), True, members={"u1": "a"})
    assert plan_group(candidate, MAPPING, cap=100) is None


def test_a_rename_and_a_member_change_are_one_update() -> None:
    candidate = GroupCandidate(
        "g1", {"displayName": "Sales EU"}, _link("a", "b"), True, members={"u1": "a", "u3": "c"}
    )
    op = plan_group(candidate, MAPPING, cap=100)
    assert op is not None and op.action is Action.UPDATE
    assert op.values == {"displayName": "Sales EU"}
    assert op.members is not None and op.members.add == ("c",) and op.members.remove == ("b",)


def test_over_the_cap_members_already_pushed_stay_then_the_lowest_entra_ids() -> None:
    eligible = {f"u{i:03d}": f"goto-{i:03d}" for i in range(250)}
    first = member_plan(eligible, (), cap=100)
    assert first.truncated and first.eligible == 250 and len(first.pushed) == 100
    assert first.pushed == tuple(f"goto-{i:03d}" for i in range(100))
    eligible["u-000-new"] = "goto-new"  # sorts before most: still, nobody already pushed is dropped
    again = member_plan(eligible, first.pushed, cap=100)
    assert again.pushed == first.pushed and not again.add and not again.remove
    del eligible["u005"]
    after = member_plan(eligible, first.pushed, cap=100)
    assert after.remove == ("goto-005",) and after.add == ("goto-new",)


def test_a_lowered_cap_keeps_a_stable_part_of_the_pushed_members() -> None:
    eligible = {f"u{i}": f"g{i}" for i in range(5)}
    plan = member_plan(eligible, ("g0", "g1", "g2", "g3", "g4"), cap=2)
    assert plan.pushed == ("g0", "g1") and plan.remove == ("g2", "g3", "g4")


@pytest.mark.parametrize("deleted", [False, True])
def test_an_unassigned_or_deleted_group_is_deleted_by_default_and_left_alone_when_kept(deleted: bool) -> None:
    candidate = GroupCandidate("g1", None, _link("a"), assigned=False, deleted=deleted)
    op = plan_group(candidate, MAPPING, cap=100)
    assert op is not None and op.action is Action.DELETE and op.target_id == "grp-1"
    assert ("deleted in Entra" in op.reason) is deleted
    kept = plan_group(candidate, MAPPING, cap=100, deprovision_action="keep")
    assert kept is not None and kept.action is Action.SKIP and "GROUP_DEPROVISION_ACTION=keep" in kept.reason


def test_a_group_left_alone_before_is_not_planned_again_and_comes_back_when_reassigned() -> None:
    inactive = _link("a", active=False)
    assert plan_group(GroupCandidate("g1", None, inactive, assigned=False), MAPPING, cap=100) is None
    back = GroupCandidate("g1", {"displayName": "Sales"}, inactive, True, members={"u1": "a"})
    op = plan_group(back, MAPPING, cap=100)
    assert op is not None and op.action is Action.UPDATE and op.values["displayName"] == "Sales"


def test_an_assigned_group_without_its_attributes_is_a_bug_not_a_guess() -> None:
    with pytest.raises(ValueError, match="g1"):
        plan_group(GroupCandidate("g1", None, None, True, members={}), MAPPING, cap=100)
