"""The retry policy's pure parts: what counts as transient, how long it waits, what it retries."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from azure.core.exceptions import (
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from provisioning.errors import StorageError
from provisioning.state.tablestore import (
    DEFAULT_RETRY,
    RetryPolicy,
    StorageTarget,
    TableStore,
    is_transient,
)


class _Status(HttpResponseError):
    def __init__(self, status: int) -> None:
        super().__init__(f"status {status}")
        self.status_code = status


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_busy_and_down_statuses_are_transient(status: int) -> None:
    assert is_transient(_Status(status))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 412])
def test_refusals_are_not_transient(status: int) -> None:
    assert not is_transient(_Status(status))


def test_dropped_connections_are_transient() -> None:
    assert is_transient(ServiceRequestError("connect failed"))
    assert is_transient(ServiceResponseError("reset by peer"))
    assert is_transient(ConnectionResetError())
    assert not is_transient(ResourceNotFoundError("gone"))


def test_waits_grow_to_the_cap_and_the_default_outlasts_a_25s_blink() -> None:
    policy = RetryPolicy(attempts=12, budget_seconds=30, first_wait=0.5, max_wait=4, jitter=0)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.5, 1, 2, 4, 4]
    # With the least jitter, the default's last try still comes after a 25 s blink has ended.
    steady = replace(DEFAULT_RETRY, jitter=0)
    elapsed, attempt = 0.0, 1
    while attempt < steady.attempts and elapsed + steady.backoff(attempt) < steady.budget_seconds:
        elapsed += steady.backoff(attempt)
        attempt += 1
    assert elapsed > 25, f"the last try comes {elapsed:.1f}s after the first"


async def test_a_refusal_is_not_retried_and_a_blink_is() -> None:
    store = TableStore.__new__(TableStore)  # only `run` is exercised: no client needed
    store.target = StorageTarget("AzureWebJobsStorage", "example", "key")
    store.retry = RetryPolicy(attempts=5, budget_seconds=5, first_wait=0, max_wait=0, jitter=0)
    calls: list[int] = []

    async def flaky(attempt: int) -> str:
        calls.append(attempt)
        if attempt < 3:
            raise ServiceResponseError("reset")
        return "done"

    assert await store.run("test", flaky) == "done" and calls == [1, 2, 3]

    async def refused(attempt: int) -> str:
        calls.append(attempt)
        raise _Status(403)

    calls.clear()
    with pytest.raises(StorageError) as caught:
        await store.run("test", refused)
    assert calls == [1] and caught.value.status == 403 and caught.value.hint

    async def cancelled(_: int) -> str:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await store.run("test", cancelled)
