"""Pacing: the token bucket lets `burst` requests through at once, the rest in order, and keeps a
stream under GoTo's 10 requests/second (counted in 429s, never timed)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from provisioning.target import Capabilities, RetryPolicy, ScimClient, ScimDialect, Throttle, build_user
from sandbox.goto import SANDBOX_GOTO_TOKEN, GoToSimulator

USER = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "a@contoso.com"}


async def test_only_the_burst_goes_at_once_and_the_rest_follow_in_order() -> None:
    arrived: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        arrived.append(request.url.path.rsplit("/", 1)[-1])
        return httpx.Response(200, json=USER)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="https://goto.test/identity/v1")
    client = ScimClient(http, dialect=ScimDialect.goto(), throttle=Throttle(rate_per_second=4.0, burst=2))
    tasks = [asyncio.create_task(client.get_user(f"u{i}")) for i in range(5)]
    for _ in range(20):  # let every task run up to the bucket; the next token is 250 ms away
        await asyncio.sleep(0)
    assert arrived == ["u0", "u1"]
    await asyncio.gather(*tasks)
    assert arrived == ["u0", "u1", "u2", "u3", "u4"]
    assert client.calls.requests == 5


def test_the_bucket_is_small_and_drains_at_the_rate() -> None:
    throttle = Throttle(rate_per_second=10.0, burst=1)
    assert (throttle.limiter.max_rate, throttle.limiter.time_period) == (1, 0.1)


@pytest.mark.parametrize("options", [{"rate_per_second": 0.0}, {"burst": 0}], ids=str)
def test_nonsense_rates_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Throttle(**options)  # type: ignore[arg-type]


async def test_paced_at_the_limit_goto_never_throttles(goto_sim: GoToSimulator) -> None:
    """At GoTo's documented 10/s (the simulator's bucket), 20 concurrent reads draw no 429 at all."""
    created = goto_sim.store.create_user({"userName": "ann@contoso.com"})
    async with httpx.AsyncClient(
        base_url=goto_sim.scim_base_url, headers={"Authorization": f"Bearer {SANDBOX_GOTO_TOKEN}"}
    ) as http:
        client = ScimClient(
            http, throttle=Throttle(rate_per_second=10.0, burst=1, retry=RetryPolicy(max_attempts=1))
        )
        results = await asyncio.gather(*(client.get_user(created["id"]) for _ in range(20)))
    assert all(r is not None and r["id"] == created["id"] for r in results)
    assert client.calls.throttled == 0
    assert goto_sim.counters.total() == 20


async def test_an_unpaced_burst_is_absorbed_by_the_retry_policy(goto_sim: GoToSimulator) -> None:
    """Without pacing the simulator answers 429 (with Retry-After); every create still succeeds."""
    async with httpx.AsyncClient(
        base_url=goto_sim.scim_base_url, headers={"Authorization": f"Bearer {SANDBOX_GOTO_TOKEN}"}
    ) as http:
        retry = RetryPolicy(max_attempts=6, base_delay=0.05, max_delay=1.5)
        throttle = Throttle(rate_per_second=1000.0, burst=1000, retry=retry)
        # discovered up front: the count below is of the creates and their retries only
        client = ScimClient(http, throttle=throttle, capabilities=Capabilities(discovered=True))
        created = await asyncio.gather(
            *(client.create_user(build_user({"userName": f"user{i}@contoso.com"})) for i in range(25))
        )
    assert len({c["id"] for c in created}) == 25
    assert len(goto_sim.store.users()) == 26  # the 25 and the admin
    assert client.calls.throttled > 0
    assert client.calls.retries == client.calls.throttled  # each 429 retried once, nothing else failed
    assert client.calls.requests == 25 + client.calls.retries == goto_sim.counters.total()
