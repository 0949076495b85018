"""`python -m provisioning sync`: the summary, --json, --dry-run, and the exit-code contract 0/1/2.

Runs the real CLI in a subprocess against the simulators and Azurite, as an admin or a script would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from sandbox.graph import APP_ROLE_USER_ID
from sandbox.world import World


def _sync(world: World, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **world.env(GOTO_RATE_LIMIT_PER_SECOND="1000"), **env}
    return subprocess.run(
        [sys.executable, "-m", "provisioning", "sync", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _accounts(world: World) -> int:
    return len(world.goto.store.users()) - 1  # the organization's admin aside


def test_json_summary_and_exit_0(world: World) -> None:
    world.seed_demo_tenant(users=12, groups=2)
    done = _sync(world, "--json")
    assert done.returncode == 0, done.stderr
    summary: dict[str, Any] = json.loads(done.stdout)
    assert summary["status"] == "succeeded" and summary["kind"] == "initial"
    assert summary["counts"]["create/success"] >= 1
    assert summary["requests"]["graph"] >= 3 and summary["requests"]["goto"] >= 1
    assert "progress:" in done.stderr  # plain progress lines when stderr is not a terminal


def test_text_summary(world: World) -> None:
    world.seed_demo_tenant(users=12, groups=2)
    done = _sync(world)
    assert done.returncode == 0, done.stderr
    assert "counts (action/status):" in done.stdout and "create/success" in done.stdout
    assert "requests: graph" in done.stdout


def test_dry_run_prints_the_plan_and_writes_nothing(world: World) -> None:
    world.seed_demo_tenant(users=12, groups=2)
    done = _sync(world, "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["dryRun"] is True and summary["status"] == "dry-run"
    assert {op["action"] for op in summary["plan"]} >= {"create"}
    assert _accounts(world) == 1  # only the pre-existing account
    again = json.loads(_sync(world, "--json").stdout)
    assert again["kind"] == "initial"  # the dry run moved no watermark


def test_failed_object_gives_exit_1(world: World) -> None:
    tenant = world.graph.tenant
    tenant.seed(3, 0, seed=1)
    outsider = tenant.create_user(
        userPrincipalName="eve@fabrikam.example", mail="eve@fabrikam.example", displayName="Eve"
    )
    for user in tenant.users():
        tenant.assign(user["id"], app_role_id=APP_ROLE_USER_ID)
    done = _sync(world, "--json")
    assert done.returncode == 1, done.stdout + done.stderr
    summary = json.loads(done.stdout)
    assert summary["counts"] == {"create/failure": 1, "create/success": 3}
    assert summary["status"] == "finished-with-failures"
    assert outsider["id"]


def test_bad_setting_gives_exit_2_naming_it(world: World) -> None:
    done = _sync(world, ENTRA_SERVICE_PRINCIPAL_ID="not-a-guid")
    assert done.returncode == 2
    assert "ENTRA_SERVICE_PRINCIPAL_ID" in done.stderr
    assert world.graph.counters.total() == 0 and world.goto.counters.total() == 0  # no I/O at all


def test_graph_unreachable_gives_exit_2_and_touches_nothing(world: World) -> None:
    world.seed_demo_tenant(users=12, groups=2)
    done = _sync(world, GRAPH_BASE_URL="http://127.0.0.1:9/v1.0")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Microsoft Graph" in done.stderr
    assert world.goto.counters.total() == 0


def test_bad_goto_token_gives_exit_2(world: World) -> None:
    world.seed_demo_tenant(users=12, groups=2)
    done = _sync(world, GOTO_ACCESS_TOKEN="wrong-token")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "credentials" in done.stderr
    assert "wrong-token" not in done.stderr + done.stdout
