"""The lease context manager against in-memory lease rows: it waits, renews, and cannot lie."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from provisioning.engine.lease import Lease
from provisioning.errors import LeaseHeldError, LeaseLostError, StorageError


class Rows:
    """Lease rows as the state store keeps them; `fail_on` makes the n-th acquire raise."""

    def __init__(self) -> None:
        self.row: tuple[str, datetime] | None = None
        self.calls = 0
        self.fail_on: set[int] = set()
        self.released: list[str] = []
        self.release_fails = False

    async def acquire_lease(self, holder: str, *, seconds: float, now: datetime | None = None) -> bool:
        self.calls += 1
        if self.calls in self.fail_on:
            raise StorageError("connection reset by peer")
        moment = now or datetime.now(UTC)
        if self.row is not None and self.row[0] != holder and self.row[1] > moment:
            return False
        self.row = (holder, moment + timedelta(seconds=seconds))
        return True

    async def release_lease(self, holder: str) -> None:
        if self.release_fails:
            raise StorageError("Table Storage is gone")
        self.released.append(holder)
        if self.row is not None and self.row[0] == holder:
            self.row = None

    async def get_lease(self) -> tuple[str, datetime] | None:
        return self.row


async def test_holds_renews_and_releases() -> None:
    rows = Rows()
    async with Lease(rows, "me", ttl=0.6, renew_every=0.1) as lease:
        await asyncio.sleep(0.35)
        lease.check()
        assert rows.calls >= 3  # renewed while held
    assert rows.row is None and rows.released == ["me"]


async def test_a_live_holder_makes_it_busy_at_once_without_waiting() -> None:
    rows = Rows()
    rows.row = ("other", datetime.now(UTC) + timedelta(seconds=30))
    with pytest.raises(LeaseHeldError, match="busy here"):
        async with Lease(rows, "me", ttl=3, renew_every=1, busy_message="busy here"):
            pass
    assert rows.row[0] == "other"


async def test_waits_out_a_dead_holders_lease_and_says_so() -> None:
    rows = Rows()
    rows.row = ("dead-run", datetime.now(UTC) + timedelta(seconds=0.4))
    told: list[tuple[str, float]] = []
    async with Lease(rows, "me", ttl=3, renew_every=1, wait=10, on_wait=lambda h, s: told.append((h, s))):
        assert rows.row is not None and rows.row[0] == "me"
    assert told and told[0][0] == "dead-run" and told[0][1] <= 1.5


async def test_waits_no_longer_than_the_holders_remaining_ttl() -> None:
    rows = Rows()
    rows.row = ("live", datetime.now(UTC) + timedelta(seconds=0.3))

    async def keep_renewing() -> None:
        while True:
            await asyncio.sleep(0.1)
            rows.row = ("live", datetime.now(UTC) + timedelta(seconds=0.3))

    renewer = asyncio.create_task(keep_renewing())
    started = asyncio.get_running_loop().time()
    try:
        with pytest.raises(LeaseHeldError):
            async with Lease(rows, "me", ttl=3, renew_every=1, wait=30):
                pass
    finally:
        renewer.cancel()
    assert asyncio.get_running_loop().time() - started < 3  # not the whole 30 s


async def test_one_failed_renewal_stops_the_holder() -> None:
    rows = Rows()
    rows.fail_on = {2}  # the first renewal
    async with Lease(rows, "me", ttl=0.6, renew_every=0.1) as lease:
        await asyncio.sleep(0.25)
        assert lease.lost
        with pytest.raises(LeaseLostError, match="renewal failed"):
            lease.check()
    assert rows.released == ["me"]  # still ours: given back so nobody waits for its TTL


async def test_a_lease_taken_by_another_is_lost_and_not_released() -> None:
    rows = Rows()
    async with Lease(rows, "me", ttl=0.6, renew_every=0.1) as lease:
        rows.row = ("thief", datetime.now(UTC) + timedelta(seconds=30))
        await asyncio.sleep(0.25)
        with pytest.raises(LeaseLostError, match="another holder"):
            lease.check()
    assert rows.row[0] == "thief" and rows.released == []


async def test_a_renewal_that_never_comes_back_counts_as_lost() -> None:
    rows = Rows()

    async def stuck(holder: str, *, seconds: float, now: datetime | None = None) -> bool:
        await asyncio.sleep(60)
        return True

    async with Lease(rows, "me", ttl=0.5, renew_every=0.1) as lease:
        rows.acquire_lease = stuck  # type: ignore[method-assign]
        await asyncio.sleep(0.5)
        with pytest.raises(LeaseLostError, match="not renewed"):
            lease.check()


async def test_release_never_masks_what_ended_the_run() -> None:
    rows = Rows()
    rows.release_fails = True
    with pytest.raises(RuntimeError, match="the real error"):
        async with Lease(rows, "me", ttl=3, renew_every=1):
            raise RuntimeError("the real error")
