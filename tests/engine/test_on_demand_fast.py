"""Provision on demand on fakes: one user through scope, match, act, record, under the lease."""

from __future__ import annotations

import pytest

from provisioning.engine.on_demand import OnDemand
from provisioning.errors import LeaseHeldError, SourceNotFoundError
from tests.engine.conftest import Bench


async def test_one_user_is_created_with_its_steps_and_recorded(bench: Bench) -> None:
    bench.seed(4)
    result = await OnDemand(bench.engine()).provision_user("u00")
    assert result.status == "success" and result.operation is not None
    assert [s.name for s in result.steps] == [
        "EntraImport",
        "EntraScoping",
        "GoToMatching",
        "Action",
        "Export",
    ]
    assert bench.target.active_names() == {"u00@contoso.example"}
    cycle = (await bench.state.list_cycles(limit=1))[0]
    assert cycle.kind == "on-demand" and cycle.counts.to_dict() == {"create/success": 1}
    assert await bench.state.get_lease() is None  # released


async def test_dry_run_and_unknown_user(bench: Bench) -> None:
    bench.seed(4)
    on_demand = OnDemand(bench.engine())
    preview = await on_demand.provision_user("u00", dry_run=True)
    assert preview.status == "dry-run" and bench.target.calls["create"] == 0
    with pytest.raises(SourceNotFoundError):
        await on_demand.provision_user("nobody")


async def test_it_waits_for_a_running_cycle_then_gives_up_busy(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench.seed(4)
    monkeypatch.setattr("provisioning.engine.on_demand.LEASE_WAIT_SECONDS", 0.2)
    assert await bench.state.acquire_lease("a-cycle", seconds=30)
    with pytest.raises(LeaseHeldError):
        await OnDemand(bench.engine()).provision_user("u00")
    assert bench.target.calls["create"] == 0


async def test_it_plans_from_entra_as_read_now_not_the_links_older_snapshot(bench: Bench) -> None:
    bench.seed(4)
    await bench.cycle()
    bench.source.update_user("u00", accountEnabled=False, displayName="Gone Person")
    result = await OnDemand(bench.engine()).provision_user("u00")
    assert result.operation is not None and result.operation.action.value == "disable"
    assert "u00@contoso.example" not in bench.target.active_names()
