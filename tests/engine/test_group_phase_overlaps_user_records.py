"""The group phase starts once every user operation is answered, while the users' last records are
still being written (it waited for them: 0.4 s of an initial cycle at 200 req/s); the cycle still
ends only when everything is on record, and a record that cannot be written still fails the cycle
with no watermark moved."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import pytest

from provisioning.engine.cycle import USERS_WATERMARK
from provisioning.errors import StorageError
from provisioning.model import AuditRecord, ObjectType
from tests.engine.conftest import Bench


def slow_user_records(bench: Bench, monkeypatch: pytest.MonkeyPatch, *, fail: bool = False) -> list[float]:
    """Each write of user records takes 0.3 s (or fails then); returns when each one ended."""
    ended: list[float] = []
    real = bench.state.add_audit_records

    async def add(records: Sequence[AuditRecord]) -> None:
        if any(r.object_type is ObjectType.USER for r in records):
            await asyncio.sleep(0.3)
            if fail:
                raise StorageError("Table Storage is unavailable")
        await real(records)
        ended.append(time.monotonic())

    monkeypatch.setattr(bench.state, "add_audit_records", add)
    return ended


async def test_groups_are_pushed_while_the_last_user_records_are_written(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups = bench.push_groups()
    bench.seed(8)  # four users through group g1
    ended = slow_user_records(bench, monkeypatch)
    pushed: list[float] = []
    create = groups.create_group

    async def timed_create(values: Any) -> Any:
        pushed.append(time.monotonic())
        return await create(values)

    monkeypatch.setattr(groups, "create_group", timed_create)

    result = await bench.cycle()

    assert result.counts.to_dict() == {"create/success": 9}
    assert pushed and ended and pushed[0] < ended[0]  # before the users' record was down
    assert groups.member_names("Group g1") == {"u04", "u05", "u06", "u07"}
    records = await bench.state.list_audit_records(result.cycle.id)
    assert len(records) == 9  # the cycle ended with every record written
    assert len([link async for link in bench.state.list_links()]) == 8
    assert await bench.state.get_watermark(USERS_WATERMARK) is not None


async def test_a_user_record_that_cannot_be_written_still_fails_the_cycle(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups = bench.push_groups()
    bench.seed(8)
    slow_user_records(bench, monkeypatch, fail=True)

    with pytest.raises(StorageError):
        await bench.cycle()

    assert await bench.state.get_watermark(USERS_WATERMARK) is None
    monkeypatch.undo()  # storage is back: the rerun adopts what GoTo already has, nothing twice
    result = await bench.cycle()
    assert result.counts.failures() == 0
    assert len(bench.target.accounts) == 8
    assert groups.member_names("Group g1") == {"u04", "u05", "u06", "u07"}
