"""CLI twins of the admin API: test-connection, provision user|group, restart (exit codes 0/1/2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sandbox.world import World


def _cli(world: World, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    values = {**os.environ, **world.env(GOTO_RATE_LIMIT_PER_SECOND="1000"), **env}
    argv = [sys.executable, "-m", "provisioning", *args]
    return subprocess.run(argv, env=values, capture_output=True, text=True, timeout=120, check=False)


def test_test_connection(world: World) -> None:
    world.seed_demo_tenant(users=8, groups=2)
    ok = _cli(world, "test-connection")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert (
        ok.stdout.count("ok  ") == 8
    )  # mappings, Tables, GoTo token, read, capabilities, licenses (none mapped), Graph SP, assignments
    bad = _cli(world, "test-connection", "--json", GOTO_ACCESS_TOKEN="nope")
    assert bad.returncode == 1
    assert any(not c["ok"] and c["hint"] for c in json.loads(bad.stdout))


def test_provision_user_and_bad_id(world: World) -> None:
    seeded = world.seed_demo_tenant(users=10, groups=2)
    done = _cli(world, "provision", "user", seeded["in_scope"][0])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "create -> success" in done.stdout and "[export    ] success" in done.stdout
    dry = _cli(world, "provision", "user", seeded["in_scope"][1], "--dry-run")
    assert dry.returncode == 0 and "dry run: nothing was written" in dry.stdout
    bad = _cli(world, "provision", "user", "nope")
    assert bad.returncode == 2 and "id: must be an Entra object id" in bad.stderr
    unknown = _cli(world, "provision", "user", "0b0b0b0b-1111-2222-3333-444444444444")
    assert unknown.returncode == 2 and "does not exist" in unknown.stderr


def test_restart_makes_the_next_cycle_full(world: World) -> None:
    world.seed_demo_tenant(users=10, groups=2)
    assert _cli(world, "sync").returncode == 0
    done = _cli(world, "restart")
    assert done.returncode == 0 and json.loads(done.stdout)["linksKept"] is True
    after = json.loads(_cli(world, "sync", "--json").stdout)
    assert after["kind"] == "initial" and after["counts"] == {
        "other/skipped": 1
    }  # re-matched, nothing redone
