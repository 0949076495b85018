"""`sync` and the single-flight lease: it waits out a dead run's lease (saying so) and then runs; a
live holder's lease makes it exit 2 `busy` once that lease's remaining TTL has passed."""

from __future__ import annotations

import asyncio
import os
import sys

from provisioning.state.tables import TableState
from sandbox.world import World


async def _sync(world: World) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "provisioning",
        "sync",
        env={**os.environ, **world.env(GOTO_RATE_LIMIT_PER_SECOND="1000")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _state(world: World) -> TableState:
    return TableState.from_connection_string(world.azurite.connection_string, prefix=world.table_prefix)


async def test_a_dead_runs_lease_is_waited_out_then_the_cycle_runs(world: World) -> None:
    seeded = world.seed_demo_tenant(users=12, groups=2)
    async with _state(world) as state:
        # long enough to outlive the CLI's start-up (2-4 s of imports on a loaded runner: at 3 s
        # the lease had expired before the CLI looked, and nothing was waited for)
        assert await state.acquire_lease("killed-run", seconds=10)
    code, out, err = await _sync(world)
    assert code == 0, out + err
    assert "waiting up to" in err and "killed-run" in err
    assert "succeeded" in out
    assert len(world.goto.store.users()) - 1 == len(seeded["in_scope"])


async def test_a_live_holder_gives_exit_2_busy(world: World) -> None:
    world.seed_demo_tenant(users=12, groups=2)
    async with _state(world) as state:
        assert await state.acquire_lease("live-run", seconds=2)

        async def renew() -> None:
            while True:
                await asyncio.sleep(0.5)
                await state.acquire_lease("live-run", seconds=2)

        renewer = asyncio.create_task(renew())
        try:
            code, out, err = await _sync(world)
        finally:
            renewer.cancel()
    assert code == 2, out + err
    assert "error (busy)" in err and "Traceback" not in err
    assert world.goto.counters.total() == 0
