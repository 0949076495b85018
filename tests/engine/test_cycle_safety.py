"""The safety net on fakes: dry run, the deletion threshold and its approval, the empty-source guard,
quarantine on failures and on credentials, provisioning off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from provisioning.errors import UnauthorizedError
from tests.engine.conftest import Bench


async def test_a_dry_run_plans_records_and_writes_nothing(bench: Bench) -> None:
    bench.seed(6)
    result = await bench.cycle(dry_run=True)
    assert result.cycle.status == "dry-run" and result.counts.to_dict() == {"create/planned": 6}
    assert bench.target.calls == {}
    assert await bench.state.get_watermark("users") is None


async def test_too_many_deprovisions_are_staged_then_applied_after_approval(bench: Bench) -> None:
    ids = bench.seed(8)
    await bench.cycle()
    bench.source.unassign("g1")  # four users leave at once
    held = await bench.cycle(deprovision_threshold=2)
    assert held.counts.to_dict() == {"stagedDelete/skipped": 4}
    assert len(bench.target.active_names()) == 8  # nothing disabled
    assert (await bench.state.get_control("quarantine") or {}).get("Reason") == "too-many-deletes"
    assert [c for c, _ in bench.told] == ["quarantine", "staged_deletes"]
    skipped = await bench.cycle(deprovision_threshold=2)
    assert skipped.skip == "quarantined"

    engine = bench.engine(deprovision_threshold=2)
    answer = await engine.staged.request_approval(initiated_by="test")
    assert answer["accepted"] and answer["staged"] == 4
    applied = await bench.cycle(deprovision_threshold=2)
    assert applied.cycle.kind == "staged-approval" and applied.counts.to_dict() == {"disable/success": 4}
    assert bench.target.active_names() == {f"{u}@contoso.example" for u in ids[:4]}
    assert await bench.state.get_control("quarantine") is None
    after = await bench.cycle(deprovision_threshold=2)
    assert after.cycle.status == "succeeded" and after.counts.to_dict() == {}


async def test_an_approval_cut_by_the_time_budget_goes_on_where_it_stopped(bench: Bench) -> None:
    bench.seed(8)
    await bench.cycle()
    bench.source.unassign("g1")
    await bench.cycle(deprovision_threshold=0)
    engine = bench.engine(deprovision_threshold=0)
    await engine.staged.request_approval()
    staged_engine = bench.engine(deprovision_threshold=0, time_budget_seconds=0.0)
    stopped = await staged_engine.staged.settle(approve=True)
    assert stopped.cycle.describe().startswith("stopped: at the time budget")
    done = await bench.cycle(deprovision_threshold=0)
    assert done.counts.to_dict() == {"disable/success": 4}


async def test_rejection_drops_the_staged_rows_and_lifts_the_quarantine(bench: Bench) -> None:
    bench.seed(8)
    await bench.cycle()
    bench.source.unassign("g1")
    await bench.cycle(deprovision_threshold=1)
    rejected = await bench.engine().staged.settle(approve=False)
    assert rejected.counts.to_dict() == {"other/skipped": 4} and len(bench.target.active_names()) == 8
    assert await bench.state.get_control("quarantine") is None


async def test_an_empty_read_deprovisions_nobody(bench: Bench) -> None:
    ids = bench.seed(4)
    await bench.cycle()
    for user_id in ids[:2]:
        bench.source.unassign(user_id)
    bench.source.unassign("g1")
    held = await bench.cycle()
    assert held.counts.to_dict() == {"stagedDelete/skipped": 4}
    assert (await bench.state.get_control("quarantine") or {}).get("Reason") == "empty-source"


async def test_most_operations_failing_quarantines_and_the_timer_waits_a_day(bench: Bench) -> None:
    ids = bench.seed(12)
    bench.target.refuse.update(f"{u}@contoso.example" for u in ids[:6])
    failed = await bench.cycle()
    assert failed.failures == 6
    assert (await bench.state.get_control("quarantine") or {}).get("Reason") == "too-many-failures"
    now = datetime.now(UTC)
    assert (await bench.cycle(at=now + timedelta(hours=1))).skip == "quarantined"
    bench.target.refuse.clear()
    assert (await bench.cycle(initiated_by="cli")).cycle.status == "succeeded"  # an admin's run goes
    assert await bench.state.get_control("quarantine") is None


async def test_refused_credentials_fail_the_cycle_and_quarantine(bench: Bench) -> None:
    bench.seed(4)

    async def refuse(values: object) -> object:
        raise UnauthorizedError("invalid_token", status=401)

    bench.target.create_user = refuse  # type: ignore[assignment,method-assign]
    try:
        await bench.cycle()
        raise AssertionError("the cycle went on with refused credentials")
    except UnauthorizedError:
        pass
    cycle = (await bench.state.list_cycles(limit=1))[0]
    assert cycle.status == "failed" and "credentials" in (cycle.error or "")
    assert (await bench.state.get_control("quarantine") or {}).get("Reason") == "credentials"
    assert await bench.state.get_watermark("users") is None


async def test_provisioning_off_is_a_recorded_skip(bench: Bench) -> None:
    bench.seed(4)
    result = await bench.cycle(provisioning_enabled=False)
    assert result.skip == "off" and result.cycle.describe().startswith("skipped: off")
    assert bench.target.calls == {} and bench.source.calls == {}


async def test_a_dry_run_plan_lists_deprovisions_and_a_real_run_keeps_no_operations(bench: Bench) -> None:
    ids = bench.seed(8)
    await bench.cycle()
    bench.source.unassign(ids[0])
    preview = await bench.cycle(dry_run=True)
    assert [(op.action.value, op.source_id) for op in preview.planned] == [("disable", ids[0])]
    real = await bench.cycle()
    assert real.counts.to_dict() == {"disable/success": 1} and real.planned == []
