"""Other goto-dialect habits a strict peer refuses fall back on the 400 and are remembered, so the
default dialect works everywhere: Entra's value-list member removal (scim2-server refuses it) and
title-case ops."""

from __future__ import annotations

import json

import httpx
import pytest

from provisioning.errors import BadRequestError
from provisioning.target import ScimClient, ScimDialect, build_group, build_user, member_ids
from tests.target.conftest import Peer, fast_throttle, record_wire


async def test_member_removal_falls_back_and_remembers(default_peer: Peer) -> None:
    peer = default_peer
    users = [
        str((await peer.client.create_user(build_user({"userName": f"m{i}@contoso.com"})))["id"])
        for i in range(4)
    ]
    group = await peer.client.create_group(build_group({"displayName": "Sales"}))
    await peer.client.add_members(group["id"], users)
    wire = record_wire(peer.http)

    await peer.client.remove_members(group["id"], users[:1])
    await peer.client.remove_members(group["id"], users[1:2])

    stored = await peer.client.get_group(group["id"])
    assert stored is not None and sorted(member_ids(stored)) == sorted(users[2:])
    refusals = wire.statuses("PATCH").count(400)
    if peer.name == "scim2-server":  # refuses {"op": "Remove", "path": "members", "value": [...]}
        assert peer.client.capabilities.member_removal == "path_filter" and refusals == 1
    else:
        assert peer.client.capabilities.member_removal is None and refusals == 0


async def test_title_case_ops_refused_are_sent_lower_case_from_then_on() -> None:
    """None of the peers here refuses "Replace", so a MockTransport plays one that does."""
    sent: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(404)
        ops = [o["op"] for o in json.loads(request.content)["Operations"]]
        sent.append(ops)
        if any(op != op.lower() for op in ops):
            return httpx.Response(400, json={"scimType": "invalidSyntax", "detail": "unknown op 'Replace'"})
        return httpx.Response(204)

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(handler), base_url="https://peer/scim"
    ) as http:
        client = ScimClient(http, dialect=ScimDialect.goto(), throttle=fast_throttle())
        await client.update_user_values("u1", {"displayName": "A"})
        await client.update_user_values("u2", {"displayName": "B"})
    assert sent == [["Replace"], ["replace"], ["replace"]]
    assert client.capabilities.patch_op_case == "lower"


async def test_a_data_error_is_not_retried_in_another_case() -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(404)
        sent.append(json.loads(request.content)["Operations"][0]["op"])
        return httpx.Response(400, json={"scimType": "invalidValue", "detail": "domain not verified"})

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(handler), base_url="https://peer/scim"
    ) as http:
        client = ScimClient(http, dialect=ScimDialect.goto(), throttle=fast_throttle())
        with pytest.raises(BadRequestError, match="domain not verified"):
            await client.update_user_values("u1", {"displayName": "A"})
    assert sent == ["Replace"] and client.capabilities.patch_op_case is None
