"""An outage that outlasts the retry budget ends in one StorageError with a hint, within the budget
(plus one read timeout), whether connections are reset, refused or left hanging; releasing the lease
then does not raise (it expires by its TTL)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from provisioning.errors import StorageError
from provisioning.state.tables import TableState
from provisioning.state.tablestore import RetryPolicy
from sandbox.tcp_proxy import FaultProxy, Mode

SHORT = RetryPolicy(attempts=20, budget_seconds=1.5, first_wait=0.1, max_wait=0.4, jitter=0.1)


@pytest.mark.parametrize("mode", [Mode.RESET, Mode.REFUSE, Mode.HANG])
async def test_an_outage_longer_than_the_budget_is_a_storage_error(
    azurite_proxy: FaultProxy, proxied_connection_string: str, table_prefix: str, mode: Mode
) -> None:
    state = TableState.from_connection_string(
        proxied_connection_string, prefix=table_prefix, retry=SHORT, read_timeout=0.5
    )
    async with state:
        await state.set_watermark("users", "https://graph/delta?1")
        azurite_proxy.set_mode(mode)
        started = time.monotonic()
        with pytest.raises(StorageError) as caught:
            await state.set_watermark("users", "https://graph/delta?2")
        elapsed = time.monotonic() - started

        assert elapsed < SHORT.budget_seconds + 0.5 + 1.0, f"gave up after {elapsed:.1f}s"
        error = caught.value
        assert "attempts over" in str(error) and "write to" in str(error)
        assert error.hint and ("AzureWebJobsStorage" in error.hint or "next cycle" in error.hint)
        assert "AccountKey=" not in str(error) and "Eby8" not in str(error) + error.hint

        await state.release_lease("me")  # storage gone: logged, not raised
        azurite_proxy.set_mode(Mode.PASS)
        assert await state.get_watermark("users") == "https://graph/delta?1"


async def test_release_lease_does_not_raise_when_storage_is_gone(
    azurite_proxy: FaultProxy, proxied_connection_string: str, table_prefix: str
) -> None:
    async with TableState.from_connection_string(
        proxied_connection_string, prefix=table_prefix, retry=SHORT
    ) as state:
        assert await state.acquire_lease("me", seconds=60, now=datetime.now(UTC))
        azurite_proxy.set_mode(Mode.REFUSE)
        await state.release_lease("me")
        azurite_proxy.set_mode(Mode.PASS)
        lease = await state.get_lease()
        assert lease is not None and lease[0] == "me"  # still there: it expires by its TTL
