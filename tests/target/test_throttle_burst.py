"""The pacing bucket: one request of capacity below 100 req/s (as always), 20 ms' worth above,
drained so that no window of a second or more holds more than rate x t + 1 requests; and late
wakes no longer cost the rate its slots."""

from __future__ import annotations

import asyncio
import time

import pytest

from provisioning.target.throttle import Throttle


def test_the_capacity_follows_the_rate() -> None:
    assert Throttle(rate_per_second=10).burst == 1
    assert Throttle(rate_per_second=99).burst == 1
    assert Throttle(rate_per_second=200).burst == 4
    assert Throttle(rate_per_second=1000).burst == 20
    with pytest.raises(ValueError, match="burst"):
        Throttle(rate_per_second=2, burst=5)


async def test_no_second_holds_more_than_the_rate_plus_one_and_the_rate_is_reached() -> None:
    rate = 200.0
    throttle = Throttle(rate_per_second=rate)
    moments: list[float] = []

    async def request() -> None:
        async with throttle.limiter:
            moments.append(time.monotonic())
            await asyncio.sleep(0.002)  # the loop busy elsewhere: wakes come late

    await asyncio.gather(*(request() for _ in range(500)))
    start, end = moments[0], moments[-1]
    for i, t in enumerate(moments):  # every one-second window from each request on
        in_window = sum(1 for u in moments[i:] if u < t + 1.0)
        assert in_window <= rate + 1
    assert len(moments) / (end - start) >= 0.9 * rate
