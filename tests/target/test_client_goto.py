"""What only the GoTo simulator does: injected faults, its limits and rules, /Users/me, empty 401s."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from provisioning.errors import BadRequestError, ConflictError, TransientError, UnauthorizedError
from provisioning.target import (
    RetryPolicy,
    ScimClient,
    ScimDialect,
    Throttle,
    build_group,
    build_user,
    member_ids,
)
from sandbox.goto import SANDBOX_ACCOUNT_KEY, SANDBOX_GOTO_TOKEN, GoToSimulator

GETGO = "urn:scim:schemas:extension:getgo:1.0"


@pytest.fixture
async def http(goto_sim: GoToSimulator) -> AsyncIterator[httpx.AsyncClient]:
    goto_sim.configure(rate_limit_per_second=1000)
    async with httpx.AsyncClient(
        base_url=goto_sim.scim_base_url,
        headers={"Authorization": f"Bearer {SANDBOX_GOTO_TOKEN}"},
        timeout=httpx.Timeout(5.0, read=0.5),
    ) as client:
        yield client


def client_for(http: httpx.AsyncClient, *, attempts: int = 4) -> ScimClient:
    retry = RetryPolicy(max_attempts=attempts, base_delay=0.01, max_delay=0.05)
    return ScimClient(
        http, dialect=ScimDialect.goto(), throttle=Throttle(rate_per_second=1000, burst=100, retry=retry)
    )


async def test_dropped_connections_and_5xx_are_retried_until_everything_succeeds(
    goto_sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    goto_sim.faults.configure(
        drop_share=0.15, server_error_share=0.1, unavailable_share=0.1, retry_after=None
    )
    client = client_for(http, attempts=10)
    created = [await client.create_user(build_user({"userName": f"user{i}@contoso.com"})) for i in range(15)]
    for user in created:
        assert await client.get_user(user["id"]) == user
    injected = goto_sim.faults.injected
    assert injected["drop"] > 0 and injected["server_error"] > 0 and injected["unavailable"] > 0
    assert client.calls.retries == sum(injected.values())
    assert len(goto_sim.store.users()) == 16  # no duplicate from a retried POST


async def test_gateway_timeouts_are_retried(goto_sim: GoToSimulator, http: httpx.AsyncClient) -> None:
    goto_sim.faults.configure(timeout_seconds=0.01)
    goto_sim.faults.queue("timeout", 2)  # held, then 504
    client = client_for(http)
    me = await client.get_me()
    assert me["userName"] == "admin@contoso.com"
    assert client.calls.retries == 2


async def test_a_hanging_request_times_out_on_our_side_and_is_retried(
    goto_sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    goto_sim.configure(timeout_mode="hang")
    goto_sim.faults.configure(timeout_seconds=2.0)  # longer than our 0.5 s read timeout
    goto_sim.faults.queue("timeout", 1)
    client = client_for(http)
    assert (await client.get_me())["userName"] == "admin@contoso.com"
    assert client.calls.retries == 1


async def test_persistent_unavailability_ends_in_transient_error(
    goto_sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    goto_sim.faults.configure(retry_after=None)
    goto_sim.faults.queue("unavailable", 3)
    with pytest.raises(TransientError) as caught:
        await client_for(http, attempts=3).create_user(build_user({"userName": "ann@contoso.com"}))
    assert caught.value.status == 503
    assert goto_sim.counters.total() == 3
    assert goto_sim.store.find_user("ann@contoso.com") is None


async def test_get_me_carries_the_account_key(http: httpx.AsyncClient) -> None:
    me = await client_for(http).get_me()
    assert me[GETGO]["accounts"][0]["value"] == SANDBOX_ACCOUNT_KEY


async def test_an_unverified_domain_is_a_bad_request(http: httpx.AsyncClient) -> None:
    with pytest.raises(BadRequestError) as caught:
        await client_for(http).create_user(build_user({"userName": "ann@fabrikam.com"}))
    assert caught.value.status == 400
    assert "verified domain" in (caught.value.detail or "")


async def test_an_email_taken_by_another_user_is_a_conflict(http: httpx.AsyncClient) -> None:
    client = client_for(http)
    await client.create_user(build_user({"userName": "ann@contoso.com"}))
    with pytest.raises(ConflictError):
        await client.create_user(
            build_user({"userName": "ann2@contoso.com", 'emails[type eq "work"].value': "ann@contoso.com"})
        )


async def test_a_taken_group_name_is_a_conflict(http: httpx.AsyncClient) -> None:
    client = client_for(http)
    await client.create_group(build_group({"displayName": "Sales"}))
    with pytest.raises(ConflictError) as caught:
        await client.create_group(build_group({"displayName": "sales"}))
    assert caught.value.scim_type == "uniqueness"


async def test_members_go_in_batches_of_100_and_the_group_cap_is_reported(
    goto_sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    ids = [goto_sim.store.create_user({"userName": f"m{i}@contoso.com"})["id"] for i in range(101)]
    client = client_for(http)
    group = await client.create_group(build_group({"displayName": "Everyone"}))
    goto_sim.counters.reset()
    with pytest.raises(BadRequestError):  # the 101st member: GoTo's cap
        await client.add_members(group["id"], ids)
    assert goto_sim.counters.snapshot() == {"PATCH /identity/v1/Groups/{id}": 2}
    stored = await client.get_group(group["id"])
    assert stored is not None and member_ids(stored) == ids[:100]


async def test_an_empty_401_is_unauthorized(goto_sim: GoToSimulator, http: httpx.AsyncClient) -> None:
    goto_sim.configure(unauthorized_body="empty")
    http.headers["Authorization"] = "Bearer expired-token"
    with pytest.raises(UnauthorizedError) as caught:
        await client_for(http).get_user("1")
    assert caught.value.detail == "invalid_token"
    assert "expired-token" not in str(caught.value)
