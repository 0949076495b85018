"""A failed or partial Graph read deprovisions nobody; an empty read is staged, never applied."""

from __future__ import annotations

import pytest

from provisioning.errors import SourceError
from sandbox._faults import FaultKind
from tests.e2e.conftest import Harness


def _active(harness: Harness) -> int:
    return sum(1 for u in harness.goto_users().values() if u.get("active"))


async def test_graph_outage_aborts_before_anything(harness: Harness) -> None:
    tenant = harness.world.graph.tenant
    seeded = harness.world.seed_demo_tenant()
    await harness.cycle()
    watermark = await harness.watermark("users")
    tenant.unassign(seeded["assigned_groups"][0])
    harness.world.graph.faults.configure(unavailable_share=1.0, retry_after=0)

    with pytest.raises(SourceError):
        await harness.cycle()

    assert _active(harness) == len(seeded["in_scope"])
    assert await harness.watermark("users") == watermark


async def test_partial_read_deprovisions_nobody(harness: Harness) -> None:
    """Graph fails after the first users page: earlier pages may be applied, no disable is."""
    tenant = harness.world.graph.tenant
    harness.world.graph.configure(page_size=10)
    seeded = harness.world.seed_demo_tenant()
    await harness.cycle()
    for user_id in seeded["in_scope"][:5]:
        tenant.disable_user(user_id)
    tenant.update_user(seeded["in_scope"][10], displayName="Changed Before Outage")
    tenant.unassign(seeded["direct"][0])
    counters = harness.world.graph.counters

    watermark = await harness.watermark("users")
    original = harness.world.graph.faults.draw
    seen: dict[str, int] = {"users": 0}

    def draw() -> FaultKind | None:
        """Every Graph call after the first users page fails, past the SDK's retries."""
        users_pages = counters.snapshot().get("GET /v1.0/users/delta", 0)
        if users_pages > 1:
            seen["users"] = users_pages
            return "unavailable"
        return original()

    harness.world.graph.faults.draw = draw  # type: ignore[method-assign]  # a fault on cue
    with pytest.raises(SourceError):
        await harness.cycle()

    assert seen["users"] > 1
    assert _active(harness) == len(seeded["in_scope"])
    assert await harness.watermark("users") == watermark


async def test_empty_read_is_staged_not_applied(harness: Harness) -> None:
    tenant = harness.world.graph.tenant
    seeded = harness.world.seed_demo_tenant()
    await harness.cycle()
    for assignment in tenant.assignments():
        tenant.unassign(assignment["principalId"])

    result = await harness.cycle()

    assert result.counts["disable", "success"] == 0
    groups = len(seeded["assigned_groups"])  # their deletes are held too
    assert result.counts["stagedDelete", "skipped"] == len(seeded["in_scope"]) + groups
    assert _active(harness) == len(seeded["in_scope"])
    quarantine = await harness.control("quarantine")
    assert quarantine is not None and quarantine["Reason"] == "empty-source"
