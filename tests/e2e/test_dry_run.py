"""DRY_RUN=true: the whole cycle is read and planned, recorded as dry-run audit records, nothing written
to GoTo, no watermark moved, no link stored."""

from __future__ import annotations

from provisioning.model import AuditStatus, ObjectType
from tests.e2e.conftest import Harness


async def test_dry_run_setting_records_the_plan_and_writes_nothing(harness: Harness) -> None:
    seeded = harness.world.seed_demo_tenant()
    result = await harness.cycle(DRY_RUN="true")

    assert result.cycle.status == "dry-run" and result.cycle.dry_run
    writes = {k: n for k, n in harness.world.goto.counters.snapshot().items() if not k.startswith("GET")}
    assert writes == {}
    records = await harness.audit(result)
    assert len(records) == len(seeded["in_scope"]) + 2  # creates (one is an adoption) + two skips
    assert all(r.dry_run and r.status is AuditStatus.SKIPPED for r in records)
    assert all(r.reason and r.reason.startswith("dry run") for r in records)
    planned = await harness.audit(result, object_type=ObjectType.GROUP)  # the group operations are shown
    assert sorted(r.source_id for r in planned) == sorted(seeded["assigned_groups"])
    assert all(r.action == "create" and r.dry_run for r in planned)
    assert all(any(p.display_name == "members" for p in r.modified_properties) for r in planned)
    assert await harness.watermark("users") is None and await harness.watermark("groups") is None

    real = await harness.cycle()
    assert real.cycle.kind == "initial"  # the dry run left no trace in the state that drives cycles
    groups = len(seeded["assigned_groups"])  # pushed to GoTo too
    assert real.counts["create", "success"] == len(seeded["in_scope"]) - 1 + groups
