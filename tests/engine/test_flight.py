"""A run's Flight: one operation per Entra object at a time across its pages (a user on two pages
of one delta read is applied in page order), other objects not held back."""

from __future__ import annotations

import asyncio

from provisioning.engine.apply import Flight


async def test_one_operation_per_object_at_a_time_others_run_beside() -> None:
    flight = Flight(lambda: 8)
    events: list[str] = []

    async def op(source_id: str, name: str, seconds: float) -> None:
        async with flight.object(source_id), flight.gate.slot():
            events.append(f"start {name}")
            await asyncio.sleep(seconds)
            events.append(f"end {name}")

    first = asyncio.create_task(op("u1", "u1 page 1", 0.05))
    await asyncio.sleep(0)
    await asyncio.gather(first, op("u1", "u1 page 2", 0), op("u2", "u2 page 2", 0))
    assert events.index("end u1 page 1") < events.index("start u1 page 2")
    assert events.index("start u2 page 2") < events.index("end u1 page 1")  # not held back
    async with asyncio.timeout(1), flight.object("u1"):  # nothing left held
        pass
