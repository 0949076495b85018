"""The time budget: a cycle stops between pages and the next resumes from the checkpoint, carrying
the deprovisions it had already planned; a dry run stops too but saves nothing."""

from __future__ import annotations

from tests.engine.conftest import Bench


async def test_a_cycle_past_its_budget_resumes_from_the_checkpoint(bench: Bench) -> None:
    ids = bench.seed(9)  # three pages of three
    await bench.cycle()
    bench.source.soft_delete(ids[0])  # a deprovision planned on the first page ...
    for user_id in ids[1:]:
        bench.source.update_user(user_id, displayName=f"New {user_id}")
    stopped = await bench.cycle(time_budget_seconds=0.0)
    assert stopped.cycle.describe().startswith("stopped: at the time budget")
    assert await bench.state.get_control("checkpoint") is not None
    assert stopped.counts["disable", "success"] == 0  # ... waits for the end of the whole cycle
    resumed = await bench.cycle()
    assert resumed.cycle.status == "succeeded"
    assert stopped.counts["update", "success"] + resumed.counts["update", "success"] == 8
    assert resumed.counts["disable", "success"] == 1
    assert await bench.state.get_control("checkpoint") is None
    assert f"{ids[0]}@contoso.example" not in bench.target.active_names()


async def test_a_dry_run_obeys_the_budget_and_saves_no_checkpoint(bench: Bench) -> None:
    bench.seed(9)
    preview = await bench.cycle(dry_run=True, time_budget_seconds=0.0)
    assert preview.cycle.dry_run and preview.cycle.describe().startswith("stopped: at the time budget")
    assert preview.counts.to_dict() == {"create/planned": 3}
    assert await bench.state.get_control("checkpoint") is None
