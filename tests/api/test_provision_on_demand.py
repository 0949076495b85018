"""POST /api/provision/users/{entraId} and /groups/{entraId}: the whole path for one object now,
reported as Entra's provisioningSteps; dry run; bad input; unknown ids; upstream failures."""

from __future__ import annotations

import time
from typing import Any

from sandbox.graph import APP_ROLE_USER_ID
from sandbox.world import World, environment
from tests.fixtures.functions import Caller

UNKNOWN = "0b0b0b0b-1111-2222-3333-444444444444"


def _steps(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["provisioningStepType"], s["status"]) for s in body["provisioningSteps"]]


async def test_provision_one_user_now(call: Caller, world: World, api_env: dict[str, str]) -> None:
    seeded = world.seed_demo_tenant(users=10, groups=2)
    user = seeded["in_scope"][1]
    graph, goto = world.graph.counters, world.goto.counters
    started = time.perf_counter()

    status, body = await call("provision_user", route={"entraId": user})

    elapsed = time.perf_counter() - started
    assert status == 200, body
    assert body["action"] == "create" and body["status"] == "success"
    assert _steps(body) == [
        ("import", "success"),
        ("scoping", "success"),
        ("matching", "success"),
        ("processing", "success"),
        ("export", "success"),
    ]
    upn = world.graph.tenant.user(user)["userPrincipalName"]
    account = world.goto.store.find_user(upn)
    assert account is not None and body["targetId"] == account["id"]
    assert {p["displayName"] for p in body["modifiedProperties"]} >= {"userName", "active"}
    print(f"\non-demand user: graph {graph.total()} req, goto {goto.total()} req, {elapsed:.2f} s")

    again_status, again = await call("provision_user", route={"entraId": user})
    assert again_status == 200 and again["action"] == "none" and again["status"] == "skipped"


async def test_dry_run_writes_nothing(call: Caller, world: World, api_env: dict[str, str]) -> None:
    seeded = world.seed_demo_tenant(users=10, groups=2)
    status, body = await call(
        "provision_user", route={"entraId": seeded["in_scope"][2]}, params={"dryRun": "true"}
    )
    assert status == 200 and body["dryRun"] is True and body["status"] == "dry-run"
    assert _steps(body)[-1] == ("export", "skipped")
    writes = {k: n for k, n in world.goto.counters.snapshot().items() if not k.startswith("GET")}
    assert writes == {}


async def test_out_of_scope_user_is_reported_not_created(
    call: Caller, world: World, api_env: dict[str, str]
) -> None:
    seeded = world.seed_demo_tenant()
    status, body = await call("provision_user", route={"entraId": seeded["default_access"]})
    assert status == 200, body
    assert ("scoping", "skipped") in _steps(body)
    assert "Default Access" in body["provisioningSteps"][1]["description"]


async def test_bad_input_and_unknown_ids(call: Caller, world: World, api_env: dict[str, str]) -> None:
    world.seed_demo_tenant(users=5, groups=1)
    status, body = await call("provision_user", route={"entraId": "not-a-guid"})
    assert status == 400 and body["error"]["field"] == "entraId"
    status, body = await call("provision_user", route={"entraId": UNKNOWN}, params={"dry": "1"})
    assert status == 400 and body["error"]["field"] == "dry"
    status, body = await call("provision_user", route={"entraId": UNKNOWN}, params={"dryRun": "maybe"})
    assert status == 400 and body["error"]["field"] == "dryRun"
    status, body = await call("provision_user", route={"entraId": UNKNOWN}, body={"extra": 1})
    assert status == 400 and body["error"]["field"] == "extra"
    status, body = await call("provision_user", route={"entraId": UNKNOWN})
    assert status == 404 and body["error"]["code"] == "notFound"


async def test_unreachable_graph_and_goto_give_502_with_hint(
    call: Caller, world: World, api_env: dict[str, str]
) -> None:
    seeded = world.seed_demo_tenant(users=5, groups=1)
    with environment({"GRAPH_BASE_URL": "http://127.0.0.1:9/v1.0"}):
        status, body = await call("provision_user", route={"entraId": seeded["in_scope"][0]})
    assert status == 502 and body["error"]["code"] == "graphUnavailable" and body["error"]["hint"]
    with environment({"GOTO_ACCESS_TOKEN": "bad"}):
        status, body = await call("provision_user", route={"entraId": seeded["in_scope"][0]})
    assert status == 502 and body["error"]["code"] == "gotoUnauthorized"


async def test_group_members_up_to_five(call: Caller, world: World, api_env: dict[str, str]) -> None:
    tenant = world.graph.tenant
    tenant.seed(0, 0)
    group = tenant.create_group("Pilot")["id"]
    users = [
        tenant.create_user(userPrincipalName=f"p{n}@contoso.com", mail=f"p{n}@contoso.com")["id"]
        for n in range(7)
    ]
    for user in users:
        tenant.add_member(group, user)
    tenant.assign(group, app_role_id=APP_ROLE_USER_ID)

    status, body = await call("provision_group", route={"entraId": group})
    assert status == 400 and body["error"]["field"] == "memberIds"

    status, body = await call("provision_group", route={"entraId": group}, body={"memberIds": users[:3]})
    assert status == 200, body
    assert [m["status"] for m in body["members"]] == ["success"] * 3
    assert len(world.goto.store.users()) == 1 + 3
    # the group itself is pushed too, with the members this function provisions
    assert (body["group"]["action"], body["group"]["status"]) == ("create", "success")
    [pilot] = [g for g in world.goto.store.groups() if g["displayName"] == "Pilot"]
    provisioned = {u["id"] for u in world.goto.store.users() if u["userName"].startswith("p")}
    assert {m["value"] for m in pilot["members"]} == provisioned and len(provisioned) == 3

    status, body = await call(
        "provision_group", route={"entraId": group}, body={"memberIds": users[3:5]}, params={"dryRun": "true"}
    )
    assert status == 200, body
    assert (body["group"]["action"], body["group"]["status"]) == ("update", "dry-run")
    assert "5 members (+2 -0)" in body["group"]["members"]  # the two would be created first
    assert len(world.goto.store.users()) == 1 + 3  # a dry run writes nothing

    status, body = await call("provision_group", route={"entraId": group}, body={"memberIds": users})
    assert status == 400 and body["error"]["field"] == "memberIds"
