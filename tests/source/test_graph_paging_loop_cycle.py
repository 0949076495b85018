"""Issue 10's observation, end to end: a Graph whose nextLink points to itself made `sync --dry-run`
run forever, and an endless appRoleAssignedTo chain grew memory without bound. Now the cycle stops
with a SourceError, quickly, and deprovisions nobody (the engine's rule for a failed read)."""

from __future__ import annotations

import asyncio
import time
import tracemalloc

import pytest

import provisioning.source.graph as graph_module
from provisioning.errors import SourceError
from sandbox.world import World
from tests.e2e.conftest import Harness

SECONDS = 20.0  # without the guards these cycles never end: fail rather than hang


def _active(harness: Harness) -> int:
    return sum(1 for u in harness.goto_users().values() if u.get("active"))


async def test_a_self_pointing_next_link_stops_dry_and_real_cycles(world: World) -> None:
    harness = Harness(world)
    seeded = harness.world.seed_demo_tenant()
    await harness.cycle()
    watermark = await harness.watermark("users")
    harness.world.graph.tenant.unassign(seeded["assigned_groups"][0])
    harness.world.graph.configure(next_link_loop="self")

    for dry_run in (True, False):
        started = time.perf_counter()
        with pytest.raises(SourceError, match="Graph returned a nextLink already followed"):
            await asyncio.wait_for(harness.cycle(dry_run=dry_run), SECONDS)
        assert time.perf_counter() - started < 5.0
    assert _active(harness) == len(seeded["in_scope"])  # nobody disabled
    assert await harness.watermark("users") == watermark


async def test_an_endless_assignment_chain_stops_at_the_bound_without_filling_memory(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bounds are module constants; lowered here so the endless chain ends in a second."""
    harness = Harness(world)
    monkeypatch.setattr(graph_module, "MAX_PAGES", 50)
    seeded = harness.world.seed_demo_tenant()
    await harness.cycle()
    harness.world.graph.configure(next_link_loop="endless")

    tracemalloc.start()
    try:
        with pytest.raises(SourceError, match=r"app role assignments failed: .* more than 50 pages"):
            await asyncio.wait_for(harness.cycle(dry_run=True), SECONDS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20  # the 1.8 GB of the issue came from rows kept without end
    assert _active(harness) == len(seeded["in_scope"])
