"""GET /api/status and GET /api/logs through the real Function app, and their CLI twins."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sandbox.world import World
from tests.fixtures.functions import Caller


async def test_status_and_logs_after_a_provisioning(
    call: Caller, world: World, api_env: dict[str, str]
) -> None:
    seeded = world.seed_demo_tenant(users=10, groups=2)
    user = seeded["in_scope"][1]  # [0] is the account GoTo already has (it would be adopted)
    await call("provision_user", route={"entraId": user})

    status, body = await call("status", method="GET")
    assert status == 200, body
    assert body["provisioningEnabled"] is True and body["nextScheduledRun"]
    status, body = await call("status", method="GET", params={"verbose": "1"})
    assert status == 400 and body["error"]["field"] == "verbose"

    status, body = await call("logs", method="GET", params={"entraId": user})
    assert status == 200, body
    [record] = body["value"]
    assert record["provisioningAction"] == "create" and record["sourceIdentity"]["id"] == user
    status, text = await call("logs", method="GET", params={"format": "csv"})
    assert status == 200 and "provisioningAction" in text.splitlines()[0]
    status, body = await call("logs", method="GET", params={"entraId": "nope"})
    assert status == 400 and body["error"]["field"] == "entraId"


def test_cli_status_and_logs(world: World) -> None:
    world.seed_demo_tenant(users=10, groups=2)
    env = {**os.environ, **world.env(GOTO_RATE_LIMIT_PER_SECOND="1000")}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "provisioning", *args]
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)

    assert cli("sync").returncode == 0
    status = cli("status", "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["lastCycle"]["status"] == "succeeded"
    logs = cli("logs", "--action", "create", "--format", "json")
    assert logs.returncode == 0, logs.stderr
    assert all(r["provisioningAction"] == "create" for r in json.loads(logs.stdout)["value"])
    bad = cli("logs", "--from", "yesterday")
    assert bad.returncode == 2 and "from" in bad.stderr
