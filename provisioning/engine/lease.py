"""The single-flight lease as one async context manager: cycles, on-demand, staged and restart use it.

A lease row in Table Storage (ETag-guarded, see TableState.acquire_lease) lives `ttl` seconds and is
renewed every `renew_every`. It cannot lie: a renewal that fails, finds the row taken, or comes too
late marks the lease lost, and `check()` (called before every write) raises LeaseLostError, so the
holder stops between operations instead of writing beside a second holder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol

from provisioning.engine.apply import TargetUser, UserTarget
from provisioning.engine.group_target import GroupTarget, TargetGroup
from provisioning.errors import LeaseHeldError, LeaseLostError

log = logging.getLogger(__name__)

LEASE_TTL_SECONDS = 30.0
LEASE_RENEW_SECONDS = 10.0
# A lease not renewed within this share of its TTL is treated as lost: the row may expire any moment.
_SAFETY_SHARE = 0.8


class LeaseRows(Protocol):
    """The lease primitives of the state store."""

    async def acquire_lease(self, holder: str, *, seconds: float, now: datetime | None = None) -> bool: ...
    async def release_lease(self, holder: str) -> None: ...
    async def get_lease(self) -> tuple[str, datetime] | None: ...


Waiting = Callable[[str, float], None]  # (holder, seconds it may still take) -> tell the user


class Lease:
    """`async with Lease(state, holder):` holds the single-flight lease; `check()` before each write.

    `wait` > 0 waits for another holder's lease to be released or to expire, up to that many seconds
    (the CLI waits a dead run's lease out); otherwise a held lease raises LeaseHeldError at once.
    """

    def __init__(
        self,
        rows: LeaseRows,
        holder: str,
        *,
        ttl: float = LEASE_TTL_SECONDS,
        renew_every: float = LEASE_RENEW_SECONDS,
        wait: float = 0.0,
        on_wait: Waiting | None = None,
        busy_message: str = "another cycle or on-demand provisioning holds the lease",
    ) -> None:
        if not 0 < renew_every < ttl:
            raise ValueError("renew_every must be positive and shorter than ttl")
        self.rows = rows
        self.holder = holder
        self.ttl = ttl
        self.renew_every = renew_every
        self.wait = wait
        self.on_wait = on_wait
        self.busy_message = busy_message
        self.lost_reason: str | None = None
        self._renewed_at = 0.0
        self._task: asyncio.Task[None] | None = None

    @property
    def lost(self) -> bool:
        if self.lost_reason is None and time.monotonic() - self._renewed_at > self.ttl * _SAFETY_SHARE:
            self.lost_reason = f"the lease was not renewed within {self.ttl * _SAFETY_SHARE:.0f} s"
        return self.lost_reason is not None

    def check(self) -> None:
        """Raise LeaseLostError if another holder may have the lease now: stop writing."""
        if self.lost:
            raise LeaseLostError(f"the single-flight lease was lost ({self.lost_reason}); stopped writing")

    async def __aenter__(self) -> Lease:
        deadline = time.monotonic() + self.wait
        told = False
        while not await self.rows.acquire_lease(self.holder, seconds=self.ttl):
            current = await self.rows.get_lease() if self.wait > 0 else None
            if current is not None and not told:
                # Wait no longer than the holder's lease has left (plus a moment): a live holder renews
                # it, and waiting out a second TTL would only hide that it is busy.
                expires_in = max(0.0, (current[1] - datetime.now(UTC)).total_seconds())
                deadline = min(deadline, time.monotonic() + expires_in + 1.0)
                if self.on_wait is not None:
                    self.on_wait(current[0], max(0.0, deadline - time.monotonic()))
                told = True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LeaseHeldError(self.busy_message)
            await asyncio.sleep(min(0.5, remaining))
        self._renewed_at = time.monotonic()
        self._task = asyncio.create_task(self._renew(), name=f"lease-renewal-{self.holder}")
        return self

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self.renew_every)
            try:
                kept = await self.rows.acquire_lease(self.holder, seconds=self.ttl)
            except Exception as exc:  # any failure to renew means we can no longer vouch for the lease
                self.lost_reason = f"renewal failed: {type(exc).__name__}: {exc}"[:300]
                log.warning("single-flight lease %s: %s", self.holder, self.lost_reason)
                return
            if not kept:
                self.lost_reason = "another holder took it"
                log.warning("single-flight lease %s: %s", self.holder, self.lost_reason)
                return
            self._renewed_at = time.monotonic()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.lost_reason is not None and self.lost_reason.startswith("another holder"):
            return  # not ours to release
        try:
            await self.rows.release_lease(self.holder)
        except Exception as error:  # never mask what ended the run; the row expires by its TTL
            log.warning("single-flight lease %s not released (%s); it expires by itself", self.holder, error)


class NoLease:
    """Stands in for a Lease where nothing is written (dry runs): check() never raises."""

    lost = False

    def check(self) -> None:
        return None

    async def __aenter__(self) -> NoLease:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class LeaseGuardedTarget:
    """The target as a lease holder may use it: every call first checks that the lease still holds."""

    def __init__(self, target: UserTarget, lease: Lease | NoLease) -> None:
        self.target = target
        self.lease = lease

    async def find_user(self, *, path: str, value: Any) -> TargetUser | None:
        self.lease.check()
        return await self.target.find_user(path=path, value=value)

    async def create_user(self, values: Mapping[str, Any]) -> TargetUser:
        self.lease.check()
        return await self.target.create_user(values)

    async def update_user(self, target_id: str, values: Mapping[str, Any], **options: Any) -> None:
        self.lease.check()
        await self.target.update_user(target_id, values, **options)

    async def delete_user(self, target_id: str) -> bool:
        self.lease.check()
        return await self.target.delete_user(target_id)


class LeaseGuardedGroups:
    """The group target as a lease holder may use it: every call first checks the lease."""

    def __init__(self, target: GroupTarget, lease: Lease | NoLease) -> None:
        self.target = target
        self.lease = lease

    async def create_group(self, values: Mapping[str, Any]) -> TargetGroup:
        self.lease.check()
        return await self.target.create_group(values)

    async def find_group(self, *, display_name: str) -> TargetGroup | None:
        self.lease.check()
        return await self.target.find_group(display_name=display_name)

    async def update_group(self, target_id: str, values: Mapping[str, Any]) -> None:
        self.lease.check()
        await self.target.update_group(target_id, values)

    async def add_members(self, target_id: str, member_ids: Sequence[str]) -> None:
        self.lease.check()
        await self.target.add_members(target_id, member_ids)

    async def remove_members(self, target_id: str, member_ids: Sequence[str]) -> None:
        self.lease.check()
        await self.target.remove_members(target_id, member_ids)

    async def delete_group(self, target_id: str) -> bool:
        self.lease.check()
        return await self.target.delete_group(target_id)
