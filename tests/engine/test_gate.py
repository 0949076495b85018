"""The gate of operations in flight: never more than its limit (read again as latency changes),
first come first served, and a cancelled waiter neither leaks a slot nor keeps one."""

from __future__ import annotations

import asyncio

from provisioning.engine.apply import Gate


async def test_never_more_than_the_limit_and_first_come_first_served() -> None:
    limit = [3]
    gate = Gate(lambda: limit[0])
    holding = [0]
    most = [0]
    order: list[int] = []

    async def work(n: int) -> None:
        async with gate.slot():
            order.append(n)
            holding[0] += 1
            most[0] = max(most[0], holding[0])
            await asyncio.sleep(0.001)
            holding[0] -= 1

    await asyncio.gather(*(work(n) for n in range(40)))
    assert most[0] == 3 and order == list(range(40))
    limit[0] = 8  # the latency rose: more in flight from the next release on
    await asyncio.gather(*(work(n) for n in range(40)))
    assert most[0] == 8


async def test_a_cancelled_waiter_leaks_no_slot() -> None:
    gate = Gate(lambda: 1)
    release = asyncio.Event()

    async def hold() -> None:
        async with gate.slot():
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter.cancel()
    release.set()
    await holder
    await asyncio.gather(waiter, return_exceptions=True)
    async with asyncio.timeout(1):  # the one slot is free again
        async with gate.slot():
            pass
    # a waiter cancelled just as it is handed the slot passes it on
    release.clear()
    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    handed = asyncio.create_task(hold())
    after = asyncio.create_task(hold())
    await asyncio.sleep(0)
    release.set()
    await holder  # its release hands the slot to `handed`...
    handed.cancel()  # ...cancelled before it runs
    await asyncio.gather(handed, return_exceptions=True)
    async with asyncio.timeout(1):
        await after  # got the slot `handed` passed on
