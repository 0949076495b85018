"""ScimClient user operations against real peers: scim2-server (RFC 7644) and the GoTo simulator."""

from __future__ import annotations

from typing import Any

import pytest

from provisioning.errors import BadRequestError, ConflictError, NotFoundError, UnauthorizedError
from provisioning.target import (
    ENTERPRISE_USER_SCHEMA,
    ScimClient,
    build_patch,
    build_user,
    eq_filter,
    parse_user,
)
from tests.target.conftest import Peer, fast_throttle

ENT = ENTERPRISE_USER_SCHEMA
WORK = 'emails[type eq "work"].value'


def values(local: str, **extra: Any) -> dict[str, Any]:
    base = {
        "userName": f"{local}@contoso.com",
        "active": True,
        "displayName": f"{local.title()} Doe",
        "name.givenName": local.title(),
        "name.familyName": "Doe",
        WORK: f"{local}@contoso.com",
        "externalId": local,
    }
    return {**base, **extra}


async def test_create_then_get_and_find(peer: Peer) -> None:
    wanted = values("ann", title="Engineer", **{f"{ENT}:department": "IT"})
    created = await peer.client.create_user(build_user(wanted))
    assert created["id"]
    assert parse_user(created, paths=wanted) == wanted

    fetched = await peer.client.get_user(created["id"])
    assert fetched is not None and parse_user(fetched, paths=wanted) == wanted
    found = await peer.client.find_user(user_name="ann@contoso.com")
    assert found is not None and found["id"] == created["id"]
    found_other_case = await peer.client.find_user(user_name="ANN@contoso.com")  # userName: caseExact=false
    if peer.name == "scimmy":  # SCIMMY 1.3 compares userName case-exactly in filters: it finds nobody
        assert found_other_case is None
    else:
        assert found_other_case is not None and found_other_case["id"] == created["id"]


async def test_find_and_get_a_user_who_is_not_there(peer: Peer) -> None:
    await peer.client.create_user(build_user(values("ann")))
    assert await peer.client.find_user(user_name="bob@contoso.com") is None
    assert await peer.client.get_user("4242424242424242424") is None


async def test_find_a_user_name_with_quotes_and_backslashes(peer: Peer) -> None:
    """The filter literal must be escaped, or the peer reads another value (or a broken filter)."""
    tricky = 'o"brien\\x@contoso.com'
    created = await peer.client.create_user(build_user({"userName": tricky}))
    await peer.client.create_user(build_user({"userName": "obrien@contoso.com"}))
    if peer.name == "scimmy":  # SCIMMY 1.3's filter tokenizer refuses an escaped backslash (400)
        with pytest.raises(BadRequestError, match="invalidFilter"):
            await peer.client.find_user(user_name=tricky)
        return
    found = await peer.client.find_user(user_name=tricky)
    assert found is not None and found["id"] == created["id"]


async def test_find_by_external_id_with_a_filter(peer: Peer) -> None:
    created = await peer.client.create_user(build_user(values("ann")))
    await peer.client.create_user(build_user(values("bob")))
    found = [
        u async for u in peer.client.list_users(filter=eq_filter("externalId", "ann", dialect=peer.dialect))
    ]
    assert [u["id"] for u in found] == [created["id"]]


async def test_a_taken_user_name_is_a_conflict(peer: Peer) -> None:
    await peer.client.create_user(build_user(values("ann")))
    with pytest.raises(ConflictError) as caught:
        await peer.client.create_user(build_user(values("ann", externalId="other")))
    assert caught.value.status == 409
    assert caught.value.scim_type == "uniqueness"


async def test_update_with_a_patch(peer: Peer) -> None:
    wanted = values("ann", title="Engineer", **{f"{ENT}:department": "IT"})
    created = await peer.client.create_user(build_user(wanted))
    changes = {
        "displayName": "Ann Smith",
        "name.familyName": "Smith",
        WORK: "ann.smith@contoso.com",
        "title": None,
        f"{ENT}:department": "Sales",
    }
    answer = await peer.client.update_user(created["id"], build_patch(changes, dialect=peer.dialect))
    expected = {**wanted, **changes}
    after = await peer.client.get_user(created["id"])
    assert after is not None and parse_user(after, paths=expected) == expected
    if peer.dialect.patch_returns_body:  # GoTo answers 200 with the resource
        assert answer is not None and parse_user(answer, paths=expected) == expected
    else:  # scim2-server answers 204
        assert answer is None


async def test_set_a_work_email_on_a_user_without_one(peer: Peer) -> None:
    created = await peer.client.create_user(build_user({"userName": "ann@contoso.com"}))
    await peer.client.update_user(created["id"], build_patch({WORK: "ann@contoso.com"}, dialect=peer.dialect))
    after = await peer.client.get_user(created["id"])
    assert after is not None and parse_user(after, paths=[WORK]) == {WORK: "ann@contoso.com"}


async def test_disable(peer: Peer) -> None:
    created = await peer.client.create_user(build_user(values("ann")))
    await peer.client.update_user(created["id"], build_patch({"active": False}, dialect=peer.dialect))
    after = await peer.client.get_user(created["id"])
    assert after is not None and after["active"] is False


async def test_an_empty_patch_sends_nothing(peer: Peer) -> None:
    created = await peer.client.create_user(build_user(values("ann")))
    sent = peer.client.calls.requests
    assert await peer.client.update_user(created["id"], build_patch({}, dialect=peer.dialect)) is None
    assert peer.client.calls.requests == sent


async def test_replace_with_put(peer: Peer) -> None:
    created = await peer.client.create_user(build_user(values("ann", title="Engineer")))
    replacement = {"userName": "ann@contoso.com", "displayName": "Ann", "active": False}
    replaced = await peer.client.replace_user(created["id"], build_user(replacement))
    assert replaced["id"] == created["id"]
    assert parse_user(replaced, paths=[*replacement, "title"]) == {**replacement, "title": None}


async def test_delete_twice_succeeds_and_says_whether_it_existed(peer: Peer) -> None:
    created = await peer.client.create_user(build_user(values("ann")))
    assert await peer.client.delete_user(created["id"]) is True
    assert await peer.client.delete_user(created["id"]) is False
    assert await peer.client.get_user(created["id"]) is None
    with pytest.raises(NotFoundError) as caught:
        await peer.client.update_user(created["id"], build_patch({"active": False}, dialect=peer.dialect))
    assert caught.value.status == 404


async def test_list_pages_through_every_user(peer: Peer) -> None:
    before = [u["id"] async for u in peer.client.list_users()]  # the simulator lists its admin
    created = [(await peer.client.create_user(build_user(values(f"user{i}"))))["id"] for i in range(7)]
    sent = peer.client.calls.requests
    listed = [u["id"] async for u in peer.client.list_users(page_size=3)]
    assert sorted(listed) == sorted(before + created)
    total = len(before) + len(created)
    assert peer.client.calls.requests - sent == -(-total // 3)  # ceil: no extra empty page


async def test_a_wrong_token_is_unauthorized_and_not_leaked(peer: Peer) -> None:
    secret = "not-the-token-0123456789"
    peer.http.headers["Authorization"] = f"Bearer {secret}"
    client = ScimClient(peer.http, dialect=peer.dialect, throttle=fast_throttle())
    with pytest.raises(UnauthorizedError) as caught:
        await client.find_user(user_name="ann@contoso.com")
    assert caught.value.status == 401
    assert secret not in str(caught.value) and secret not in (caught.value.detail or "")
    assert client.calls.requests == 1  # never retried
