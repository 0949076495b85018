"""Groups and licenses end to end: the real msgraph-sdk against the Graph simulator, httpx against
the GoTo simulator (SCIM and Admin API), Azurite for state, one cycle at a time as the timer runs it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from provisioning.api.status import build_status
from provisioning.config import load_settings
from provisioning.model import AuditStatus, ObjectType
from sandbox.graph import APP_ROLE_USER_ID, Tenant
from tests.e2e.conftest import Harness

DEFAULT = Path(__file__).parents[2] / "provisioning" / "mapping" / "default-mappings.yaml"
LICENSES = DEFAULT.read_text(encoding="utf-8").replace(
    "licenses: {}", "licenses:\n  Organizer: [L-G2M]\n  User: [L-BASIC]"
)


def _user(tenant: Tenant, name: str) -> str:
    return str(tenant.create_user(displayName=name.title(), userPrincipalName=f"{name}@contoso.com")["id"])


def _group(tenant: Tenant, name: str, members: list[str], *, role: str = APP_ROLE_USER_ID) -> str:
    group_id = str(tenant.create_group(name)["id"])
    for user_id in members:
        tenant.add_member(group_id, user_id)
    tenant.assign(group_id, app_role_id=role)
    return group_id


def _goto_group(harness: Harness, name: str) -> dict[str, Any] | None:
    return next((g for g in harness.world.goto.store.groups() if g["displayName"] == name), None)


def _member_names(harness: Harness, name: str) -> set[str]:
    group = _goto_group(harness, name)
    assert group is not None, f"no GoTo group {name!r}"
    users = {u["id"]: u["userName"].split("@")[0] for u in harness.world.goto.store.users()}
    return {users[m["value"]] for m in group.get("members", [])}


async def test_groups_follow_entra_create_fill_change_rename_unassign_delete(harness: Harness) -> None:
    tenant = harness.world.graph.tenant
    ann, bob, cat, dan = (_user(tenant, n) for n in ("ann", "bob", "cat", "dan"))
    sales = _group(tenant, "Sales", [ann, bob])
    eng = _group(tenant, "Engineering", [ann, cat])
    ops = _group(tenant, "Ops", [dan])
    tenant.assign(_user(tenant, "direct"), app_role_id=APP_ROLE_USER_ID)  # keeps the read non-empty
    first = await harness.cycle()
    assert first.counts["create", "success"] == 5 + 3 and first.counts.failures() == 0
    assert _member_names(harness, "Sales") == {"ann", "bob"} and _member_names(harness, "Ops") == {"dan"}
    group_link = None
    async for state in harness.state():
        group_link = await state.get_link(sales, object_type=ObjectType.GROUP)
    assert group_link is not None and _goto_group(harness, "Sales")["id"] == group_link.target_id  # type: ignore[index]
    assert _goto_group(harness, "Sales")["externalId"] == sales  # type: ignore[index]

    tenant.remove_member(sales, ann)  # ann stays in scope through Engineering
    new = _user(tenant, "eve")
    tenant.add_member(sales, new)
    tenant.update_group(eng, displayName="Engineering EU")
    tenant.unassign(ops)
    second = await harness.cycle()
    assert _member_names(harness, "Sales") == {"bob", "eve"}
    assert _goto_group(harness, "Engineering") is None and _member_names(harness, "Engineering EU") == {
        "ann",
        "cat",
    }
    assert _goto_group(harness, "Ops") is None  # unassigned: deleted in GoTo (the default)
    assert (second.counts["create", "success"], second.counts["delete", "success"]) == (1, 1)
    assert second.counts["disable", "success"] == 1  # dan left scope with Ops; ann did not
    assert harness.goto_users()["ann@contoso.com"]["active"] is True

    tenant.delete_group(eng)
    third = await harness.cycle(GROUP_DEPROVISION_ACTION="keep")
    assert _goto_group(harness, "Engineering EU") is not None  # left alone, as the setting says
    records = await harness.audit(third, object_type=ObjectType.GROUP)
    assert [(r.action, r.status) for r in records] == [("other", AuditStatus.SKIPPED)]
    assert "GROUP_DEPROVISION_ACTION=keep" in (records[0].reason or "")


async def test_a_group_of_250_is_pushed_truncated_and_reported_in_status_and_the_log(
    harness: Harness,
) -> None:
    tenant = harness.world.graph.tenant
    members = [_user(tenant, f"m{i:03d}") for i in range(250)]
    big = _group(tenant, "Everyone", members)
    result = await harness.cycle()
    group = _goto_group(harness, "Everyone")
    assert group is not None and len(group["members"]) == 100
    assert result.counts["create", "warning"] == 1 and result.counts["create", "success"] == 250
    [record] = await harness.audit(result, object_type=ObjectType.GROUP)
    assert "truncated: 250 provisioned members in Entra, 100 pushed (GROUP_MEMBER_CAP=100)" in (
        record.reason or ""
    )
    async for state in harness.state():
        status = await build_status(state=state, settings=load_settings(harness.env), now=_now())
    assert status["groups"]["truncated"] == [
        {"id": big, "displayName": "Everyone", "members": 250, "pushed": 100}
    ]
    patches = harness.world.goto.counters.snapshot().get("PATCH /identity/v1/Groups/{id}", 0)
    assert patches == 1  # created empty, then one PATCH of 100 members


async def test_a_taken_name_adopts_only_an_exact_match(harness: Harness) -> None:
    tenant = harness.world.graph.tenant
    store = harness.world.goto.store
    existing = store.create_group({"displayName": "Sales", "members": []})
    store.create_group({"displayName": "marketing", "members": []})
    _group(tenant, "Sales", [_user(tenant, "sal")])
    mkt = _group(tenant, "Marketing", [_user(tenant, "mia")])
    result = await harness.cycle()
    assert _goto_group(harness, "Sales")["id"] == existing["id"]  # type: ignore[index]
    assert _member_names(harness, "Sales") == {"sal"}
    failed = {
        r.source_id: r
        for r in await harness.audit(result, object_type=None)
        if r.status is AuditStatus.FAILURE
    }
    assert failed[mkt].error_code == "GroupNameTaken" and _member_names(harness, "marketing") == set()


async def test_a_quiet_cycle_with_50_assigned_groups_sends_nothing_to_goto(harness: Harness) -> None:
    tenant = harness.world.graph.tenant
    users = [_user(tenant, f"q{i:02d}") for i in range(50)]
    for n in range(50):
        _group(tenant, f"Team {n:02d}", [users[n], users[(n + 1) % 50]])
    first = await harness.cycle()
    assert first.counts["create", "success"] == 100
    goto = harness.world.goto.counters
    goto.reset()
    quiet = await harness.cycle()
    assert goto.total() == 0 and quiet.counts.done() == 0


async def test_licenses_follow_the_role_and_out_of_seats_fails_that_user(
    harness: Harness, tmp_path: Path
) -> None:
    tenant = harness.world.graph.tenant
    goto = harness.world.goto
    organizer = tenant.add_app_role("Organizer")
    goto.licenses.add_license("L-G2M", products=("G2M",), seats=1)
    goto.licenses.add_license("L-BASIC", products=("G2M",), seats=5)
    mapping = tmp_path / "mappings.yaml"
    mapping.write_text(LICENSES, encoding="utf-8")
    pia, raj = _user(tenant, "pia"), _user(tenant, "raj")
    tenant.assign(pia, app_role_id=organizer)
    tenant.assign(raj, app_role_id=organizer)  # one seat only: raj is refused
    preview = await harness.cycle(dry_run=True, MAPPINGS_FILE=str(mapping))
    assert [sorted(op.values.get("licenses", [])) for op in preview.planned] == [["L-G2M"], ["L-G2M"]]
    assert goto.licenses.get("L-G2M")["userKeys"] == []  # a dry run writes nothing
    first = await harness.cycle(MAPPINGS_FILE=str(mapping))
    failed = [r for r in await harness.audit(first) if r.status is AuditStatus.FAILURE]
    assert [r.error_code for r in failed] == ["GoToLicenseSeats409"]  # one seat: one of the two is refused
    loser = failed[0].source_id
    winner = pia if loser == raj else raj
    assert "L-G2M" in (failed[0].error_reason or "")
    names = {pia: "pia@contoso.com", raj: "raj@contoso.com"}
    winner_key = harness.goto_users()[names[winner]]["id"]
    assert goto.licenses.user_licenses(winner_key) == ["L-G2M"]

    tenant.unassign(loser)
    tenant.assign(loser, app_role_id=APP_ROLE_USER_ID)  # a role change: Organizer -> User
    second = await harness.cycle(MAPPINGS_FILE=str(mapping))
    assert second.counts.failures() == 0
    loser_key = harness.goto_users()[names[loser]]["id"]
    assert goto.licenses.user_licenses(loser_key) == ["L-BASIC"]
    tenant.unassign(winner)
    await harness.cycle(MAPPINGS_FILE=str(mapping))
    assert goto.licenses.user_licenses(winner_key) == []  # deprovisioned: the seat is free again


async def test_without_licenses_mapped_nothing_calls_the_admin_api(harness: Harness) -> None:
    tenant = harness.world.graph.tenant
    _group(tenant, "Plain", [_user(tenant, "pat")])
    await harness.cycle()
    calls = harness.world.goto.counters.snapshot()
    assert [key for key in calls if "/admin/" in key] == []


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)
