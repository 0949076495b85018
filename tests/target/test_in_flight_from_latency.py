"""How many GoTo requests the engine keeps in flight follows GoTo's limit and the latency it shows
(rate x latency, with headroom, capped), so a raised limit is filled without a setting; the token
bucket stays the only pacing."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from provisioning.engine.apply import Gate
from provisioning.target.throttle import INITIAL_IN_FLIGHT, Throttle


@pytest.mark.parametrize(
    ("rate", "latency", "cap", "expected"),
    [
        (10.0, 0.05, 64, 2),  # GoTo's default limit: a couple in flight keep it busy
        (200.0, 0.08, 64, 25),  # a raised limit at 80 ms: 200 x 0.08 x 1.5 + 1
        (200.0, 0.08, 8, 8),  # never above the cap
        (1000.0, 1.0, 256, 256),
    ],
)
def test_in_flight_is_rate_times_latency_capped(rate: float, latency: float, cap: int, expected: int) -> None:
    throttle = Throttle(rate_per_second=rate)
    assert throttle.in_flight(cap) == min(cap, INITIAL_IN_FLIGHT)  # nothing measured yet
    throttle._observe(latency)
    assert throttle.in_flight(cap) == expected


async def test_answers_are_measured() -> None:
    throttle = Throttle(rate_per_second=1000)

    async def answer() -> httpx.Response:
        await asyncio.sleep(0.01)
        return httpx.Response(200)

    for _ in range(3):
        await throttle.send(answer, what="test")
    assert throttle.latency is not None and throttle.latency > 0


async def test_the_gate_follows_its_limit() -> None:
    limit = [2]
    gate = Gate(lambda: limit[0])
    inside: set[int] = set()
    releases = [asyncio.Event() for _ in range(10)]

    async def work(n: int) -> None:
        async with gate.slot():
            inside.add(n)
            await releases[n].wait()
            inside.discard(n)

    tasks = [asyncio.create_task(work(n)) for n in range(10)]
    await asyncio.sleep(0.01)
    assert len(inside) == 2
    limit[0] = 5  # read again when a slot is freed
    releases[min(inside)].set()
    await asyncio.sleep(0.01)
    assert len(inside) == 5
    for event in releases:
        event.set()
    await asyncio.gather(*tasks)
