"""A crash between any two state calls: the process dies at the k-th call to the store (every later
call dies too, as in a killed process), for every k of an initial and of an incremental cycle. After
each, the lease expires and one rerun must leave GoTo exactly as an uncrashed run does, with no
duplicate and an audit record for every account written."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from provisioning.state.memory import MemoryState
from provisioning.state.tables import TableState
from tests.engine.conftest import Bench
from tests.engine.fakes import FakeSource

Snapshot = dict[str, tuple[tuple[str, Any], ...]]


class Killed(BaseException):
    """The crash: a BaseException, so no `except Exception` in the product can swallow it."""


class DyingState:
    """The store as a process that dies at call `kill_at` sees it: that call and all later ones fail."""

    def __init__(self, inner: TableState, kill_at: int | None) -> None:
        self.inner = inner
        self.kill_at = kill_at
        self.calls = 0

    def _tick(self) -> None:
        self.calls += 1
        if self.kill_at is not None and self.calls >= self.kill_at:
            raise Killed(f"killed at store call {self.calls}")

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if inspect.isasyncgenfunction(attr):

            async def stream(*args: Any, **kwargs: Any) -> Any:
                self._tick()
                async for item in attr(*args, **kwargs):
                    yield item

            return stream
        if inspect.iscoroutinefunction(attr):

            async def call(*args: Any, **kwargs: Any) -> Any:
                self._tick()
                return await attr(*args, **kwargs)

            return call
        return attr


def _incremental_changes(source: FakeSource, ids: list[str]) -> None:
    source.update_user(ids[0], displayName="Renamed")
    source.soft_delete(ids[1])
    source.hard_delete(ids[2])
    source.unassign(ids[3])
    source.remove_member("g1", ids[-1])
    source.add_member("g1", "u-extra")


def _goto(bench: Bench) -> Snapshot:
    names = [a["userName"].lower() for a in bench.target.accounts.values()]
    assert len(names) == len(set(names)), "a duplicate GoTo account"
    return {
        a["userName"].lower(): tuple(sorted((k, v) for k, v in a.items() if k != "id"))
        for a in bench.target.accounts.values()
    }


async def _audited(state: TableState) -> set[str]:
    written: set[str] = set()
    for cycle in await state.list_cycles(limit=500):
        for record in await state.list_audit_records(cycle.id):
            if (
                record.status.value == "success"
                and record.action in ("create", "update")
                and record.target_id
            ):
                written.add(record.target_id)
    return written


async def _run(bench: Bench, kill_at: int | None) -> tuple[str, int]:
    dying = DyingState(bench.state, kill_at)
    engine = bench.engine()
    engine.state = dying
    engine.recorder.state = dying
    engine.quarantine.state = dying
    engine.staged.state = dying
    try:
        result = await engine.run_cycle(initiated_by="crash-test")
        return result.cycle.status, dying.calls
    except Killed:
        return "killed", dying.calls


async def _fresh(incremental: bool) -> Bench:
    state = await MemoryState().open()
    bench = Bench(state)
    ids = bench.seed(8)
    bench.target.add_existing("u00@contoso.example")  # adopted on the initial cycle
    if incremental:
        status, _ = await _run(bench, None)
        assert status == "succeeded"
        _incremental_changes(bench.source, ids)
    return bench


@pytest.mark.parametrize("incremental", [False, True], ids=["initial", "incremental"])
async def test_a_crash_at_any_store_call_converges_on_rerun(incremental: bool) -> None:
    clean = await _fresh(incremental)
    status, total = await _run(clean, None)
    assert status == "succeeded"
    expected = _goto(clean)

    for kill_at in range(1, total + 1):
        bench = await _fresh(incremental)
        status, _ = await _run(bench, kill_at)
        assert status == "killed", kill_at
        lease = await bench.state.get_lease()
        if lease is not None:  # the dead run's lease expires
            await bench.state.release_lease(lease[0])
        rerun, _ = await _run(bench, None)
        assert rerun == "succeeded", kill_at
        assert _goto(bench) == expected, f"killed at store call {kill_at} of {total}"
        written = await _audited(bench.state)
        assert set(bench.target.accounts) <= written, f"an account without a record (kill at {kill_at})"
        dead = [c for c in await bench.state.list_cycles(limit=50) if c.status == "running"]
        assert dead == [], f"a dead run still shows running (kill at {kill_at})"
    assert total >= 20
