"""POST /api/test-connection: each dependency checked, 200 when all pass, 424 with hints otherwise."""

from __future__ import annotations

import os
from pathlib import Path

from sandbox.world import World, environment
from tests.fixtures.functions import Caller


async def test_all_checks_pass(call: Caller, world: World, api_env: dict[str, str]) -> None:
    world.seed_demo_tenant(users=8, groups=2)
    status, body = await call("test_connection")
    assert status == 200, body
    assert body["ok"] is True
    assert [c["name"] for c in body["checks"]] == [
        "mappings",
        "tableStorage",
        "gotoToken",
        "gotoScimRead",
        "gotoScimCapabilities",
        "gotoLicenses",
        "graphServicePrincipal",
        "graphAssignments",
    ]
    assert all(c["ok"] for c in body["checks"])
    capabilities = next(c for c in body["checks"] if c["name"] == "gotoScimCapabilities")
    assert "ServiceProviderConfig" in capabilities["detail"] and "PATCH" in capabilities["detail"]


async def test_bad_goto_token_gives_424_with_admin_rights_hint(
    call: Caller, world: World, api_env: dict[str, str]
) -> None:
    with environment({"GOTO_ACCESS_TOKEN": "stale-token"}):
        status, body = await call("test_connection")
    assert status == 424
    check = next(c for c in body["checks"] if c["name"] == "gotoScimRead")
    assert check["ok"] is False and "organization admin" in check["hint"]
    assert "stale-token" not in str(body)


async def test_wrong_service_principal_and_graph_token(
    call: Caller, world: World, api_env: dict[str, str]
) -> None:
    with environment({"ENTRA_SERVICE_PRINCIPAL_ID": "11111111-2222-3333-4444-555555555555"}):
        status, body = await call("test_connection")
    assert status == 424
    sp = next(c for c in body["checks"] if c["name"] == "graphServicePrincipal")
    assert sp["ok"] is False and "ENTRA_SERVICE_PRINCIPAL_ID" in sp["hint"]
    with environment({"GRAPH_ACCESS_TOKEN": "wrong-graph-token"}):
        status, body = await call("test_connection")
    graph = next(c for c in body["checks"] if c["name"] == "graphAssignments")
    assert status == 424 and graph["ok"] is False and "credential" in graph["hint"]
    assert "wrong-graph-token" not in str(body)


async def test_body_and_params_are_checked(call: Caller, api_env: dict[str, str]) -> None:
    status, body = await call("test_connection", params={"verbose": "1"})
    assert status == 400 and body["error"]["field"] == "verbose"
    status, body = await call("test_connection", body=b"{not json")
    assert status == 400 and body["error"]["field"] == "body"


async def test_missing_setting_is_named_without_a_trace(call: Caller, world: World) -> None:
    values = world.env()
    values.pop("ENTRA_SERVICE_PRINCIPAL_ID")
    saved = os.environ.pop("ENTRA_SERVICE_PRINCIPAL_ID", None)
    try:
        with environment(values):
            status, body = await call("test_connection")
    finally:
        if saved is not None:
            os.environ["ENTRA_SERVICE_PRINCIPAL_ID"] = saved
    assert status == 400  # a bad setting is bad input: named, never a 500
    assert body["error"]["code"] == "configuration" and body["error"]["field"] == "ENTRA_SERVICE_PRINCIPAL_ID"
    assert "Traceback" not in str(body)


async def test_a_broken_mapping_file_is_the_first_failed_check(
    call: Caller, world: World, api_env: dict[str, str], tmp_path: Path
) -> None:
    broken = tmp_path / "mappings.yaml"
    broken.write_text(
        "version: 1\nusers:\n  mappings:\n"
        "    - {target: userName, source: userPrincipalName, matching: 1}\n"
        "    - {target: displayName, expression: 'Join(\" \", [givenName]'}\n",
        encoding="utf-8",
    )
    with environment({"MAPPINGS_FILE": str(broken)}):
        status, body = await call("test_connection")
    assert status == 424
    check = body["checks"][0]
    assert check["name"] == "mappings" and check["ok"] is False
    assert "users.mappings[1].expression" in check["error"] and str(broken) in check["error"]
    assert "check-mappings" in check["hint"]
    assert all(c["ok"] for c in body["checks"][1:])  # the others still answer
