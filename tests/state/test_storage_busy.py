"""Table Storage answering busy or down (429, 503) is retried on the wire, up to the policy's
attempts, then a StorageError says so; Retry-After is honoured up to the policy's longest wait.
Azurite never throttles, so tests/state/fake_storage.py answers those statuses as Azure does."""

from __future__ import annotations

import time

import pytest

from provisioning.errors import StorageError
from provisioning.state.tables import TableState
from provisioning.state.tablestore import RetryPolicy
from sandbox.azurite import connection_string
from tests.state.fake_storage import fake_storage

POLICY = RetryPolicy(attempts=4, budget_seconds=10, first_wait=0.05, max_wait=0.3, jitter=0.0)


@pytest.mark.parametrize(
    ("status", "code"), [(503, "ServerBusy"), (429, "TooManyRequests"), (500, "InternalError")]
)
async def test_busy_is_retried_then_reported(status: int, code: str, table_prefix: str) -> None:
    with fake_storage(status, code, "The server is busy.", retry_after="1") as server:
        state = TableState.from_connection_string(
            connection_string(server.port), prefix=table_prefix, retry=POLICY
        )
        started = time.monotonic()
        try:
            with pytest.raises(StorageError) as caught:
                await state.open()
        finally:
            await state.close()
        elapsed = time.monotonic() - started
    assert server.requests == POLICY.attempts
    assert 3 * 0.3 <= elapsed < 3 * 0.3 + 2, "Retry-After (1 s) is capped at the policy's max_wait"
    error = caught.value
    assert error.status == status and error.code == code
    assert "after 4 attempts" in str(error) and error.hint and "next cycle" in error.hint
