"""The lease primitives the engine's single-flight lease is built on: acquire, renew, take over
once expired, say who holds it and until when, release only one's own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from provisioning.state.tables import TableState

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def state(tables_connection_string: str, table_prefix: str) -> AsyncIterator[TableState]:
    async with TableState.from_connection_string(tables_connection_string, prefix=table_prefix) as s:
        yield s


async def test_holder_and_expiry(state: TableState) -> None:
    assert await state.get_lease() is None
    assert await state.acquire_lease("a", seconds=90, now=NOW)
    assert await state.get_lease() == ("a", NOW + timedelta(seconds=90))
    assert await state.acquire_lease("a", seconds=90, now=NOW + timedelta(seconds=30))  # renewed
    assert await state.get_lease() == ("a", NOW + timedelta(seconds=120))


async def test_a_live_lease_is_refused_an_expired_one_taken_over(state: TableState) -> None:
    assert await state.acquire_lease("a", seconds=90, now=NOW)
    assert not await state.acquire_lease("b", seconds=90, now=NOW + timedelta(seconds=89))
    assert await state.acquire_lease("b", seconds=90, now=NOW + timedelta(seconds=90))
    assert await state.get_lease() == ("b", NOW + timedelta(seconds=180))


async def test_release_frees_only_ones_own_lease(state: TableState) -> None:
    assert await state.acquire_lease("a", seconds=90, now=NOW)
    await state.release_lease("b")
    assert await state.get_lease() == ("a", NOW + timedelta(seconds=90))
    await state.release_lease("a")
    assert await state.get_lease() is None
    assert await state.acquire_lease("b", seconds=90, now=NOW)
