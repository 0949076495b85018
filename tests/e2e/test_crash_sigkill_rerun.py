"""SIGKILL, as a new user meets it: three `sync` runs killed 0.5-3 s into an initial cycle of 300
users (each inside a cycle: the earlier dead runs' leases are expired by the test), then one `sync`
started at once after the last kill. That single run waits out the dead run's lease (30 s TTL, not
the 90 s it used to be), converges to exactly one active account per in-scope user and exits 0; one
more `sync` writes nothing to GoTo."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest

from provisioning.state.tables import TableState
from sandbox.world import World
from tests.e2e.test_crash_recovery import build_tenant

pytestmark = pytest.mark.slow

KILL_AFTER_SECONDS = (0.5, 1.75, 3.0)
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _writes(world: World) -> int:
    return sum(n for key, n in world.goto.counters.snapshot().items() if key.split(" ", 1)[0] in WRITES)


def _expire_lease(world: World) -> None:
    """The dead run's lease runs out (the last one's is left for the final sync to wait out)."""

    async def run() -> None:
        async with TableState.from_connection_string(
            world.azurite.connection_string, prefix=world.table_prefix
        ) as state:
            lease = await state.get_lease()
            if lease is not None:
                await state.release_lease(lease[0])

    asyncio.run(run())


def test_three_killed_runs_then_one_sync_converges_with_exit_0(world: World) -> None:
    world.goto.configure(rate_limit_per_second=1000)
    seeded = build_tenant(world.graph.tenant)
    # a cycle of several seconds: at 40 req/s the third run still has ~200 users to create when it
    # is killed (at 80 the first two runs left it so few that it could finish before its kill)
    env = {**os.environ, **world.env(GOTO_RATE_LIMIT_PER_SECOND="40")}
    command = [sys.executable, "-m", "provisioning", "sync"]
    for n, delay in enumerate(KILL_AFTER_SECONDS, start=1):
        graph_calls = world.graph.counters.total()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while world.graph.counters.total() == graph_calls and process.poll() is None:
            time.sleep(0.01)  # the cycle has begun when it first reads Graph (imports take a second)
        time.sleep(delay)
        assert process.poll() is None, "the run finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        if n < len(KILL_AFTER_SECONDS):
            _expire_lease(world)  # so the next run is killed inside a cycle, not while it waits
    assert _writes(world) > 0, "no kill landed inside the cycle"

    started = time.monotonic()
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    waited = time.monotonic() - started
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "succeeded" in rerun.stdout

    admin = world.goto.store.get_admin()["id"]
    accounts = [u for u in world.goto.store.users() if u["id"] != admin]
    names = [u["userName"].lower() for u in accounts]
    assert len(names) == len(set(names)), "a duplicate GoTo account"
    expected = {world.graph.tenant.user(u)["userPrincipalName"].lower() for u in seeded["in_scope"][1:]}
    active = {u["userName"].lower() for u in accounts if u.get("active")}
    assert active == expected  # in_scope[0] is soft-deleted in Entra: never provisioned
    print(f"\nrerun after three kills: exit 0 in {waited:.1f} s (lease wait included)")

    before = _writes(world)
    quiet = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert _writes(world) == before
