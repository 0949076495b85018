"""The GoTo variants public clients show (goto.md, "Live behaviour"), each a simulator setting,
each tolerated by the client in the default dialect."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from provisioning.errors import UnauthorizedError
from provisioning.target import ScimClient, ScimDialect, build_group, build_user
from sandbox.goto import SANDBOX_GOTO_TOKEN, GoToSimulator
from tests.target.conftest import fast_throttle, record_wire

WORK = 'emails[type eq "work"].value'


@pytest.fixture
def sim(reset_goto_sim: GoToSimulator) -> GoToSimulator:
    reset_goto_sim.configure(rate_limit_per_second=1000)
    return reset_goto_sim


@pytest.fixture
async def http(sim: GoToSimulator) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {SANDBOX_GOTO_TOKEN}"}
    async with httpx.AsyncClient(base_url=sim.scim_base_url, headers=headers, timeout=10) as client:
        yield client


def client_for(http: httpx.AsyncClient, *, max_list_pages: int = 10_000) -> ScimClient:
    return ScimClient(
        http, dialect=ScimDialect.goto(), throttle=fast_throttle(), max_list_pages=max_list_pages
    )


def seed(sim: GoToSimulator, count: int) -> list[str]:
    return [sim.store.create_user({"userName": f"p{i:03}@contoso.com"})["id"] for i in range(count)]


async def test_lists_under_lower_case_resources(sim: GoToSimulator, http: httpx.AsyncClient) -> None:
    ids = seed(sim, 3)
    sim.configure(list_key="resources")
    listed = [u["id"] async for u in client_for(http).list_users(page_size=2)]
    assert set(ids) <= set(listed) and len(listed) == len(set(listed)) == 4  # and the admin


async def test_a_server_that_ignores_start_index_does_not_make_the_client_loop(
    sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    seed(sim, 5)
    sim.configure(ignore_start_index=True)
    wire = record_wire(http)
    listed = [u["id"] async for u in client_for(http).list_users(page_size=2)]
    assert len(listed) == len(set(listed)) == 2  # page 1, then page 1 again: stop
    assert len(wire.calls) == 2


async def test_total_pages_are_bounded(sim: GoToSimulator, http: httpx.AsyncClient) -> None:
    seed(sim, 9)
    wire = record_wire(http)
    listed = [u["id"] async for u in client_for(http, max_list_pages=3).list_users(page_size=2)]
    assert len(listed) == 6 and len(wire.calls) == 3


async def test_an_invalid_token_answered_403_is_unauthorized(
    sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    sim.configure(invalid_token_status=403)
    http.headers["Authorization"] = "Bearer stale-token-value"
    with pytest.raises(UnauthorizedError) as caught:
        await client_for(http).get_user("1")
    assert caught.value.status == 403 and "Invalid token" in str(caught.value)
    assert "stale-token-value" not in str(caught.value)


async def test_a_non_scim_error_body_becomes_a_message_with_its_code(
    sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    sim.configure(error_body="goto_json")
    http.headers["Authorization"] = "Bearer wrong"
    with pytest.raises(UnauthorizedError) as caught:
        await client_for(http).list_users().__anext__()
    assert "not.authorized" in str(caught.value) and "/v1/Users" in str(caught.value)


async def test_delete_answering_200_with_a_body_is_done(sim: GoToSimulator, http: httpx.AsyncClient) -> None:
    (user_id,) = seed(sim, 1)
    sim.configure(delete_answer="ok_with_body")
    client = client_for(http)
    assert await client.delete_user(user_id) is True
    assert await client.get_user(user_id) is None
    assert await client.delete_user(user_id) is False


async def test_a_missing_group_answered_401_reads_as_not_found(
    sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    sim.configure(missing_group_status=401)
    client = client_for(http)
    assert await client.get_group("4242424242424242424") is None
    assert await client.delete_group("4242424242424242424") is False
    http.headers["Authorization"] = "Bearer wrong"  # a bad token is still a bad token
    with pytest.raises(UnauthorizedError):
        await client.get_group("4242424242424242424")


async def test_a_peer_whose_patch_takes_no_patchop_is_updated_with_put(
    sim: GoToSimulator, http: httpx.AsyncClient
) -> None:
    sim.configure(patch_format="partial_json")
    client = client_for(http)
    user = await client.create_user(build_user({"userName": "pat@contoso.com", "displayName": "Pat"}))
    wire = record_wire(http)
    await client.update_user_values(user["id"], {"displayName": "Patricia", WORK: "pat@contoso.com"})
    await client.update_user_values(user["id"], {"active": False})
    stored = sim.store.get_user(user["id"])
    assert stored["displayName"] == "Patricia" and stored["active"] is False
    assert [e["value"] for e in stored["emails"]] == ["pat@contoso.com"]
    assert client.capabilities.patch is False
    assert "PATCH" not in {m for m, _, _ in wire.calls} and wire.statuses("PUT") == [200, 200]
    group = await client.create_group(build_group({"displayName": "Team"}))
    await client.add_members(group["id"], [user["id"]])
    await client.remove_members(group["id"], [user["id"]])
    assert sim.store.get_group(group["id"])["members"] == []
