"""What GoTo was found to take is learnt once and kept in state: the first cycle that writes reads
ServiceProviderConfig; later runs start from the stored row and do not read it again."""

from __future__ import annotations

import json

from tests.e2e.conftest import Harness


def _config_reads(harness: Harness) -> int:
    return sum(
        n for key, n in harness.world.goto.counters.snapshot().items() if "ServiceProviderConfig" in key
    )


async def test_discovered_once_then_read_from_state(harness: Harness) -> None:
    tenant = harness.world.graph.tenant
    seeded = harness.world.seed_demo_tenant(users=12, groups=2)
    await harness.cycle()
    assert _config_reads(harness) >= 1
    row = await harness.control("scim-capabilities")
    assert row is not None and row["BaseUrl"] == harness.env["GOTO_SCIM_BASE_URL"]
    assert json.loads(row["Value"])["discovered"] is True

    before = _config_reads(harness)
    tenant.update_user(seeded["in_scope"][1], displayName="Someone Else")
    result = await harness.cycle()
    assert result.counts.to_dict() == {"update/success": 1}
    assert _config_reads(harness) == before  # not asked again
