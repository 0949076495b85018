"""What a cycle reads and writes in Table Storage does not grow with its pages: the retry list is
listed once per run (not to clear it on every page), and the running cycle row takes its progress
at most every PROGRESS_SECONDS. A failed object still climbs the ladder and a later success
still takes it off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from provisioning.model import CycleRecord
from tests.engine.conftest import Bench


def count_calls(bench: Bench, monkeypatch: pytest.MonkeyPatch, name: str) -> list[Any]:
    calls: list[Any] = []
    real = getattr(bench.state, name)

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return await real(*args, **kwargs)

    monkeypatch.setattr(bench.state, name, counted)
    return calls


async def test_the_retry_list_is_read_once_per_run_whatever_its_pages(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench.source.page_size = 3
    ids = bench.seed(24)  # 9 pages with u-extra
    bench.target.refuse.add(f"{ids[0]}@contoso.example")
    listed = count_calls(bench, monkeypatch, "list_retries")
    first = await bench.cycle()
    assert first.failures == 1 and first.cycle.pages >= 8
    assert len(listed) == 3  # due retries at the start, the run's retry ids, the failure's ladder
    assert ids[0] in await bench.state.list_retries()

    bench.target.refuse.clear()
    listed.clear()
    later = datetime.now(UTC) + timedelta(days=2)  # past the first rung of the ladder
    second = await bench.cycle(at=later)
    assert second.failures == 0 and second.counts.to_dict() == {"create/success": 1}
    assert len(listed) == 2
    assert await bench.state.list_retries() == {}  # the success took it off


async def test_progress_is_written_on_the_first_page_then_at_most_every_two_seconds(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench.source.page_size = 2
    bench.seed(20)
    written: list[tuple[str, int]] = []  # (status, pages) as written: the record is the run's own
    real = bench.state.upsert_cycle

    async def upsert(cycle: CycleRecord) -> None:
        written.append((str(cycle.status), cycle.pages))
        await real(cycle)

    monkeypatch.setattr(bench.state, "upsert_cycle", upsert)
    result = await bench.cycle()
    assert result.cycle.pages >= 10
    progress = [w for w in written if w[0] == "running" and w[1] > 0]
    assert len(progress) == 1  # a fast cycle: the first page only, not one row per page
    assert written[-1][0] == "succeeded"
