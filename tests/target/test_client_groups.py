"""ScimClient group operations against real peers: create, find, members in chunks, delete."""

from __future__ import annotations

import dataclasses

from provisioning.target import ScimClient, build_group, build_patch, build_user, member_ids, parse_resource
from tests.target.conftest import Peer, fast_throttle


async def make_users(peer: Peer, count: int) -> list[str]:
    return [
        (await peer.client.create_user(build_user({"userName": f"member{i}@contoso.com"})))["id"]
        for i in range(count)
    ]


async def test_create_find_rename_and_delete_a_group(peer: Peer) -> None:
    created = await peer.client.create_group(build_group({"displayName": "Sales", "externalId": "g-1"}))
    assert created["id"]
    found = await peer.client.find_group(display_name="Sales")
    assert found is not None and found["id"] == created["id"]
    assert await peer.client.find_group(display_name="Marketing") is None

    await peer.client.update_group(
        created["id"], build_patch({"displayName": "Sales EU"}, dialect=peer.dialect)
    )
    renamed = await peer.client.get_group(created["id"])
    assert renamed is not None
    assert parse_resource(renamed, paths=["displayName", "externalId"]) == {
        "displayName": "Sales EU",
        "externalId": "g-1",
    }
    assert await peer.client.delete_group(created["id"]) is True
    assert await peer.client.delete_group(created["id"]) is False
    assert await peer.client.get_group(created["id"]) is None


async def test_members_are_added_and_removed_in_chunks(peer: Peer) -> None:
    users = await make_users(peer, 5)
    group = await peer.client.create_group(build_group({"displayName": "Sales"}))
    small_batches = dataclasses.replace(peer.dialect, members_per_request=2)
    client = ScimClient(peer.http, dialect=small_batches, throttle=fast_throttle())

    await client.discover()
    before = client.calls.requests
    await client.add_members(group["id"], users)
    assert client.calls.requests - before == 3  # 2 + 2 + 1
    after_add = await client.get_group(group["id"])
    assert after_add is not None and sorted(member_ids(after_add)) == sorted(users)

    await client.remove_members(group["id"], users[:3])
    after_remove = await client.get_group(group["id"])
    assert after_remove is not None and sorted(member_ids(after_remove)) == sorted(users[3:])


async def test_adding_nobody_sends_nothing(peer: Peer) -> None:
    group = await peer.client.create_group(build_group({"displayName": "Sales"}))
    sent = peer.client.calls.requests
    await peer.client.add_members(group["id"], [])
    await peer.client.remove_members(group["id"], [])
    assert peer.client.calls.requests == sent


async def test_list_groups(peer: Peer) -> None:
    names = [f"Team {i}" for i in range(5)]
    for name in names:
        await peer.client.create_group(build_group({"displayName": name}))
    listed = [g["displayName"] async for g in peer.client.list_groups(page_size=2)]
    assert sorted(listed) == names
