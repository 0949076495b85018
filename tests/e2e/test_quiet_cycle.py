"""A cycle with no change costs 0 GoTo requests and at most 3 Graph requests (< 999 assignments)."""

from __future__ import annotations

from tests.e2e.conftest import Harness


async def test_quiet_cycle_is_nearly_free(harness: Harness) -> None:
    harness.world.seed_demo_tenant()
    await harness.cycle()
    graph, goto = harness.world.graph.counters, harness.world.goto.counters
    graph.reset()
    goto.reset()

    result = await harness.cycle()

    assert result.counts.to_dict() == {}
    assert goto.total() == 0, goto.snapshot()
    assert graph.total() <= 3, graph.snapshot()
    assert (result.cycle.graph_requests, result.cycle.goto_requests) == (graph.total(), 0)
