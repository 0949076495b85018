"""preview on the sandbox (Azurite, Graph and GoTo simulators over HTTP): a tenant provisioned with a
six-row file; previewing a file that adds a department row shows each linked user's pending update and,
with --diff, counts exactly the linked users who have a department. Nothing is written anywhere: no
GoTo request at all, every Table entity (etag included) as it was, an unknown id is exit 2."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from azure.data.tables.aio import TableServiceClient

from provisioning.cli.preview import preview
from sandbox.world import World
from tests.e2e.conftest import Harness

DEPARTMENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
SIX_ROWS = """version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
    - {target: displayName, source: displayName}
    - {target: name.givenName, source: givenName}
    - {target: name.familyName, source: surname}
    - {target: 'emails[type eq "work"].value', source: mail}
    - {target: externalId, source: mailNickname}
"""
WITH_DEPARTMENT = SIX_ROWS + f"    - {{target: '{DEPARTMENT}', source: department}}\n"


async def tables_snapshot(world: World) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Every entity of this world's tables with its etag: any write, even of equal values, shows."""
    tables: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    async with TableServiceClient.from_connection_string(world.azurite.connection_string) as service:
        async for table in service.list_tables():
            if not table.name.startswith(world.table_prefix):
                continue
            client = service.get_table_client(table.name)
            rows = [(str(e.metadata["etag"]), dict(e)) async for e in client.list_entities()]
            tables[table.name] = sorted(rows, key=lambda row: row[0])
    return tables


async def run(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], user: str | None, **flags: Any
) -> tuple[int, str, str]:
    """The command as the CLI runs it (its own event loop), in a thread beside the test's loop."""
    code = await asyncio.to_thread(
        preview,
        user,
        flags.get("mappings"),
        diff=flags.get("diff", False),
        as_json=flags.get("as_json", True),
        environ=env,
    )
    out, err = capsys.readouterr()
    return code, out, err


async def test_preview_and_diff_of_a_department_row_write_nothing(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed, new = tmp_path / "deployed.yaml", tmp_path / "new.yaml"
    deployed.write_text(SIX_ROWS, encoding="utf-8")
    new.write_text(WITH_DEPARTMENT, encoding="utf-8")
    harness = Harness(world, MAPPINGS_FILE=str(deployed))
    seeded = world.seed_demo_tenant()
    await harness.cycle()
    linked = seeded["in_scope"]
    world.graph.tenant.update_user(linked[1], department=None)
    departments = {u: world.graph.tenant.user(u).get("department") for u in linked}
    with_department = [u for u in linked if departments[u]]
    assert 0 < len(with_department) < len(linked)
    tables, goto_calls = await tables_snapshot(world), world.goto.counters.total()
    assert sum(len(rows) for rows in tables.values()) > len(linked)  # links, watermarks, cycles, audit

    user = with_department[0]
    code, out, err = await run(capsys, harness.env, user)
    assert (code, err) == (0, "")
    same = json.loads(out)
    assert same["mappings"] == str(deployed) and same["action"] == "none" and same["update"] == []
    assert same["payload"]["userName"] == world.graph.tenant.user(user)["userPrincipalName"]
    assert DEPARTMENT.rsplit(":", 1)[0] not in same["payload"]

    code, out, err = await run(capsys, harness.env, user, mappings=str(new))
    assert (code, err) == (0, "")
    changed = json.loads(out)
    assert changed["action"] == "update" and changed["link"]["active"] is True
    assert changed["update"] == [{"attribute": DEPARTMENT, "old": None, "new": departments[user]}]

    code, out, err = await run(capsys, harness.env, user, mappings=str(new), as_json=False)
    assert (code, err) == (0, "")
    assert out.startswith(f"user {user} (") and f"under {new}\n" in out
    assert f"the next cycle: update\n  {DEPARTMENT}: null -> {json.dumps(departments[user])}\n" in out

    code, out, err = await run(capsys, harness.env, None, mappings=str(new), diff=True)
    assert (code, err) == (0, "")
    diff = json.loads(out)
    assert diff["usersWithPayloadChanges"] == len(with_department)
    assert diff["attributes"] == {DEPARTMENT: {"changed": 0, "set": len(with_department), "cleared": 0}}
    assert diff["linkedUsersCompared"] == len(linked)
    assert diff["assignedUsers"] == len(linked) + 2  # the disabled user and the Default Access one
    assert diff["usersRead"] == len(world.graph.tenant.users())
    assert diff["leaveScope"]["count"] == diff["enterScope"]["count"] == 0
    assert len(diff["examples"]) == 5
    assert all(e["new"] and e["old"] is None for e in diff["examples"])

    code, out, err = await run(capsys, harness.env, user, mappings=str(new), diff=True, as_json=False)
    assert code == 0 and out.startswith(f"user {user} (")
    assert f"\n\ndiff: {deployed} (deployed) -> {new}\n" in out
    assert f"users whose payload changes: {len(with_department)}\n" in out
    assert f"  {DEPARTMENT}: 0 changed, {len(with_department)} set, 0 cleared\n" in out

    unknown = "00000000-0000-4000-8000-00000000abcd"
    code, out, err = await run(capsys, harness.env, unknown, as_json=False)
    assert (code, out) == (2, "")
    assert err == f"error (input): user {unknown} does not exist in Entra ID (or is deleted)\n"

    assert world.goto.counters.total() == goto_calls
    assert await tables_snapshot(world) == tables
