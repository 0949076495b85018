"""Issue 10, observation 1: adopting an account that has no e-mail must work on strict peers.

The goto dialect's blind `replace emails[type eq "work"].value` gets 400 noTarget from scim2-server
and SCIMMY (RFC 7644 §3.5.2.3). Updates built from the account's known state add a missing entry
and replace an existing one; without known state, the refusal is retried once in the whole-attribute
form and remembered. Each case runs against every peer in the default dialect.
"""

from __future__ import annotations

from typing import Any

from provisioning.target import build_user, get_value
from provisioning.target.user_target import ScimUserTarget
from tests.target.conftest import Peer, record_wire

WORK = 'emails[type eq "work"].value'
PATHS = ["userName", "displayName", WORK, "active"]


async def _account_without_email(peer: Peer, name: str) -> str:
    created = await peer.client.create_user(
        build_user({"userName": f"{name}@contoso.com", "displayName": name})
    )
    return str(created["id"])


async def _emails(peer: Peer, user_id: str) -> list[Any]:
    user = await peer.client.get_user(user_id)
    assert user is not None
    return [(e.get("type"), e.get("value")) for e in user.get("emails", [])]


async def test_adoption_adds_the_missing_email_from_the_state_it_read(default_peer: Peer) -> None:
    peer = default_peer
    await _account_without_email(peer, "ann")
    target = ScimUserTarget(peer.client, paths=PATHS)
    wire = record_wire(peer.http)
    found = await target.find_user(path="userName", value="ann@contoso.com")
    assert found is not None and found.values[WORK] is None

    await target.update_user(found.id, {WORK: "ann@contoso.com", "displayName": "Ann"}, current=found.values)

    assert await _emails(peer, found.id) == [("work", "ann@contoso.com")]
    assert 400 not in wire.statuses("PATCH")  # built right the first time: no refusal, no retry


async def test_an_existing_email_is_replaced_in_place(default_peer: Peer) -> None:
    peer = default_peer
    user_id = await _account_without_email(peer, "bob")
    target = ScimUserTarget(peer.client, paths=PATHS)
    await target.update_user(user_id, {WORK: "bob@contoso.com"}, current={WORK: None})
    await target.update_user(user_id, {WORK: "robert@contoso.com"}, current={WORK: "bob@contoso.com"})
    assert await _emails(peer, user_id) == [("work", "robert@contoso.com")]


async def test_a_blind_update_refused_with_no_target_is_retried_whole_and_remembered(
    default_peer: Peer,
) -> None:
    peer = default_peer
    first, second = await _account_without_email(peer, "cat"), await _account_without_email(peer, "dan")
    wire = record_wire(peer.http)

    await peer.client.update_user_values(first, {WORK: "cat@contoso.com"})  # state unknown
    await peer.client.update_user_values(second, {WORK: "dan@contoso.com"})

    assert await _emails(peer, first) == [("work", "cat@contoso.com")]
    assert await _emails(peer, second) == [("work", "dan@contoso.com")]
    if peer.name == "goto-sim":  # the simulator creates the entry, as Entra expects of GoTo
        assert peer.client.capabilities.filtered_paths is None
        assert wire.statuses("PATCH") == [200, 200]
    else:  # strict peers: one refusal, then the learned form (read first) for the second user
        assert peer.client.capabilities.filtered_paths == "existing"
        assert wire.statuses("PATCH").count(400) == 1
        restored = type(peer.client.capabilities).from_dict(peer.client.capabilities.to_dict())
        assert restored == peer.client.capabilities


async def test_clearing_the_email_removes_the_entry(default_peer: Peer) -> None:
    peer = default_peer
    user_id = await _account_without_email(peer, "eve")
    await peer.client.update_user_values(user_id, {WORK: "eve@contoso.com"}, current={WORK: None})
    await peer.client.update_user_values(user_id, {WORK: None}, current={WORK: "eve@contoso.com"})
    user = await peer.client.get_user(user_id)
    assert user is not None and get_value(user, WORK) is None
