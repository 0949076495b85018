"""A dry run's plan keeps every operation, in order, while only the first ones stay in memory:
the rest are read back from a temporary file for `--json`, the CLI's first lines need no read."""

from __future__ import annotations

import copy
import pickle

import pytest

from provisioning.engine import planned
from provisioning.engine.plan import Action, Change, Operation
from provisioning.engine.planned import PlannedOperations
from tests.engine.conftest import Bench


def ops(n: int) -> list[Operation]:
    return [
        Operation(
            Action.CREATE,
            f"u{i:05d}",
            "in scope",
            values={"userName": f"u{i}@x.com", "emails": [{"value": f"u{i}@x.com"}]},
            changes=(Change("userName", None, f"u{i}@x.com"),),
        )
        for i in range(n)
    ]


def test_every_operation_comes_back_in_order_past_what_stays_in_memory() -> None:
    every = ops(2_345)
    plan = PlannedOperations(every[:10], in_memory=100)
    plan.extend(every[10:])
    assert len(plan) == 2_345 and list(plan) == every and plan == every
    assert plan[:20] == every[:20] and plan[99] == every[99]
    assert plan[2_000] == every[2_000] and plan[-1] == every[-1] and plan[150:160] == every[150:160]
    assert list(plan) == every  # read twice: the file is read from its chunks again
    assert len(plan._head) == 100  # the rest is on disk, not held
    assert plan.user_creates == {op.source_id for op in every}  # known without reading the plan back
    assert plan != every[:-1] and PlannedOperations() == []


def test_a_copy_or_a_pickle_carries_the_operations() -> None:
    every = ops(300)
    plan = PlannedOperations(every, in_memory=10)
    assert list(copy.deepcopy(plan)) == every
    assert list(pickle.loads(pickle.dumps(plan))) == every  # noqa: S301 - our own bytes


async def test_a_dry_run_larger_than_memory_hands_back_its_whole_plan(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planned, "IN_MEMORY", 3)
    ids = bench.seed(12)
    preview = await bench.cycle(dry_run=True)
    assert sorted(op.source_id for op in preview.planned) == sorted(ids)
    assert len(preview.planned) == 12 and len(preview.planned._head) == 3
    assert all(op.action is Action.CREATE for op in preview.planned)
