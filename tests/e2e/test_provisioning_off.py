"""PROVISIONING_ENABLED=false: cycles record "skipped: off" and touch nothing; a dry run may still preview."""

from __future__ import annotations

from tests.e2e.conftest import Harness


async def test_off_skips_cycles_without_any_call(harness: Harness) -> None:
    harness.world.seed_demo_tenant()
    result = await harness.timer(PROVISIONING_ENABLED="false")
    assert result.cycle.describe().startswith("skipped: off")
    assert harness.world.graph.counters.total() == 0
    assert harness.world.goto.counters.total() == 0
    assert await harness.watermark("users") is None


async def test_dry_run_still_previews_while_off(harness: Harness) -> None:
    seeded = harness.world.seed_demo_tenant()
    result = await harness.cycle(dry_run=True, PROVISIONING_ENABLED="false")
    assert result.cycle.status == "dry-run"
    groups = len(seeded["assigned_groups"])  # pushed to GoTo too
    assert result.counts["create", "planned"] == len(seeded["in_scope"]) + groups
    assert harness.world.goto.counters.total() == 0
