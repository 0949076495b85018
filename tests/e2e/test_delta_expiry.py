"""An expired delta link (syncStateNotFound, or 410 resyncRequired) means a full resync that re-matches
through the links: no spurious disable, no duplicate, and changes made meanwhile still arrive."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Harness


@pytest.mark.parametrize("gone", [False, True], ids=["syncStateNotFound", "410-gone"])
async def test_expired_tokens_resync_without_damage(harness: Harness, gone: bool) -> None:
    tenant = harness.world.graph.tenant
    seeded = harness.world.seed_demo_tenant()
    await harness.cycle()
    before = harness.goto_users()
    renamed = seeded["in_scope"][1]
    tenant.update_user(renamed, displayName="Renamed During Expiry")
    tenant.expire_delta_tokens(gone=gone)

    result = await harness.cycle()

    assert result.cycle.kind == "resync"
    assert result.counts.to_dict() == {"update/success": 1, "other/skipped": 2}
    after = harness.goto_users()
    assert set(after) == set(before)
    assert all(account["active"] for account in after.values())
    upn = tenant.user(renamed)["userPrincipalName"].lower()
    assert after[upn]["displayName"] == "Renamed During Expiry"
    quiet = await harness.cycle()
    assert quiet.counts.to_dict() == {}
