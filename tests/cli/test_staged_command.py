"""`python -m provisioning staged approve|reject`: the CLI twins of POST /api/staged/approve|reject."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sandbox.world import World


def _cli(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **world.env(GOTO_RATE_LIMIT_PER_SECOND="1000", DEPROVISION_THRESHOLD="2")}
    argv = [sys.executable, "-m", "provisioning", *args]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_approve_applies_the_held_disables(world: World) -> None:
    seeded = world.seed_demo_tenant()
    assert _cli(world, "sync").returncode == 0
    world.graph.tenant.unassign(seeded["assigned_groups"][0])
    held = json.loads(_cli(world, "sync", "--json").stdout)
    staged = held["counts"]["stagedDelete/skipped"]
    assert staged > 2

    done = _cli(world, "staged", "approve", "--json")

    assert done.returncode == 0, done.stderr
    # the unassigned group's members, and the group itself (its delete was held with them)
    assert json.loads(done.stdout)["counts"] == {"disable/success": staged - 1, "delete/success": 1}
    inactive = [u for u in world.goto.store.users() if u.get("active") is False]
    assert len(inactive) == staged - 1


def test_reject_with_nothing_staged_is_a_no_op(world: World) -> None:
    world.seed_demo_tenant()
    done = _cli(world, "staged", "reject")
    assert done.returncode == 0, done.stderr
    assert "0 staged disables/deletes dropped" in done.stdout
