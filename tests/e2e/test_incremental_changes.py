"""After each kind of change in Entra, the incremental cycle does exactly the right operation and
nothing else (read from its audit records and from the GoTo simulator's state)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from provisioning.model import AuditStatus
from sandbox.graph import APP_ROLE_USER_ID, Tenant
from tests.e2e.conftest import Harness

Seeded = dict[str, Any]


def _only_in_group(tenant: Tenant, seeded: Seeded, group_index: int) -> str:
    """An in-scope user whose only way into scope is this one assigned group."""
    groups = seeded["assigned_groups"]
    others = {u for g in groups if g != groups[group_index] for u, _ in tenant.members(g)} | set(
        seeded["direct"]
    )
    return next(
        u for u, _ in tenant.members(groups[group_index]) if u not in others and u in seeded["in_scope"]
    )


def attribute_change(t: Tenant, s: Seeded) -> dict[str, str]:
    user = s["in_scope"][1]
    t.update_user(user, displayName="Changed Name", surname="Changed")
    return {user: "update"}


def disable(t: Tenant, s: Seeded) -> dict[str, str]:
    t.disable_user(s["in_scope"][1])
    return {s["in_scope"][1]: "disable"}


def soft_delete(t: Tenant, s: Seeded) -> dict[str, str]:
    t.soft_delete_user(s["in_scope"][1])
    return {s["in_scope"][1]: "disable"}


def hard_delete(t: Tenant, s: Seeded) -> dict[str, str]:
    t.hard_delete_user(s["in_scope"][1])
    return {s["in_scope"][1]: "disable"}  # HARD_DELETE_ACTION=disable: meeting history is kept


def unassign_user(t: Tenant, s: Seeded) -> dict[str, str]:
    t.unassign(s["direct"][0])
    return {s["direct"][0]: "disable"}


def unassign_group(t: Tenant, s: Seeded) -> dict[str, str]:
    group = s["assigned_groups"][0]
    others = {u for u, _ in t.members(s["assigned_groups"][1])} | set(s["direct"])
    members = {u for u, _ in t.members(group)}
    expected = dict.fromkeys({u for u in members if u not in others and u in s["in_scope"]}, "disable")
    if s["disabled"] in members & others:
        expected[s["disabled"]] = "other"  # re-evaluated: still assigned, still disabled, skipped again
    t.unassign(group)
    return expected


def member_added(t: Tenant, s: Seeded) -> dict[str, str]:
    joiner = s["outside"][0]
    t.add_member(s["assigned_groups"][0], joiner)
    return {joiner: "create"}


def member_removed(t: Tenant, s: Seeded) -> dict[str, str]:
    leaver = _only_in_group(t, s, 0)
    t.remove_member(s["assigned_groups"][0], leaver)
    return {leaver: "disable"}


def new_assignment(t: Tenant, s: Seeded) -> dict[str, str]:
    newcomer = s["outside"][1]
    t.assign(newcomer, app_role_id=APP_ROLE_USER_ID)
    return {newcomer: "create"}


CHANGES: list[Callable[[Tenant, Seeded], dict[str, str]]] = [
    attribute_change,
    disable,
    soft_delete,
    hard_delete,
    unassign_user,
    unassign_group,
    member_added,
    member_removed,
    new_assignment,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__)
async def test_incremental_cycle_does_exactly_the_change(
    harness: Harness, change: Callable[[Tenant, Seeded], dict[str, str]]
) -> None:
    tenant = harness.world.graph.tenant
    seeded = harness.world.seed_demo_tenant()
    await harness.cycle()
    before = harness.goto_users()

    expected = change(tenant, seeded)
    assert expected, "the scenario must change someone"
    result = await harness.cycle()

    records = await harness.audit(result)
    assert {r.source_id: r.action for r in records} == expected
    assert all(
        r.status is (AuditStatus.SKIPPED if r.action == "other" else AuditStatus.SUCCESS) for r in records
    )
    assert len(records) == len(expected)

    after = harness.goto_users()
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    upns = {
        tenant.user(u)["userPrincipalName"].lower()
        for u, action in expected.items()
        if tenant.user_state(u) != "hard_deleted" and action != "other"
    }
    for user_id, action in expected.items():
        if action == "disable":
            assert after[tenant.user(user_id)["userPrincipalName"].lower()]["active"] is False
    if change is hard_delete:
        assert len(after) == len(before) and len(changed) == 1  # deactivated, not deleted
        assert all(after[name]["active"] is False for name in changed)
    else:
        assert changed == upns
    if change is attribute_change:
        account = after[tenant.user(seeded["in_scope"][1])["userPrincipalName"].lower()]
        assert (account["displayName"], account["name"]["familyName"]) == ("Changed Name", "Changed")


async def test_restore_after_soft_delete_reenables(harness: Harness) -> None:
    tenant = harness.world.graph.tenant
    seeded = harness.world.seed_demo_tenant()
    user = seeded["in_scope"][1]
    await harness.cycle()
    tenant.soft_delete_user(user)
    await harness.cycle()
    tenant.restore_user(user)
    result = await harness.cycle()
    records = await harness.audit(result)
    assert [(r.source_id, r.action, r.status) for r in records] == [(user, "update", AuditStatus.SUCCESS)]
    assert "re-enabled" in (records[0].reason or "")
    assert harness.goto_users()[tenant.user(user)["userPrincipalName"].lower()]["active"] is True


async def test_hard_delete_deletes_only_when_opted_in(harness: Harness) -> None:
    tenant = harness.world.graph.tenant
    seeded = harness.world.seed_demo_tenant()
    await harness.cycle(HARD_DELETE_ACTION="delete")
    before = harness.goto_users()
    tenant.hard_delete_user(seeded["in_scope"][1])
    result = await harness.cycle(HARD_DELETE_ACTION="delete")
    records = await harness.audit(result)
    assert [(r.source_id, r.action, r.status) for r in records] == [
        (seeded["in_scope"][1], "delete", AuditStatus.SUCCESS)
    ]
    assert len(harness.goto_users()) == len(before) - 1
