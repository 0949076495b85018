"""ScimGroupTarget against SCIM implementations we did not write (scim2-server, SCIMMY) and the GoTo
simulator in each of its group-related variants, all spoken to in the product's default (goto) dialect.

Where a peer cannot do what GoTo does, the case shows what it does instead:
- scim2-server keeps no displayName unique (RFC 7643 gives Group.displayName `uniqueness: none`),
  so a taken name is created again instead of answering 409, and two names differing in case coexist;
- GoTo holds at most 100 members per group (goto.md; the simulator's MAX_GROUP_MEMBERS): the 250
  members are sent in chunks of 100 all the same and GoTo refuses the chunk that would pass 100.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from provisioning.engine.group_target import TargetGroup
from provisioning.errors import BadRequestError, ConflictError, NotFoundError
from provisioning.target import ScimClient, ScimDialect, build_user
from provisioning.target.group_target import ScimGroupTarget
from sandbox._server import ServerThread
from sandbox.goto import SANDBOX_GOTO_TOKEN, GoToSimulator
from sandbox.scimmy import ScimmyServer
from tests.target.conftest import SCIM2_TOKEN, fast_throttle

# goto-sim variants that change how groups are answered (sandbox/goto/settings.py CHOICES and flags)
GOTO_VARIANTS: dict[str, dict[str, Any]] = {
    "goto-sim": {},
    "goto-sim-missing-group-401": {"missing_group_status": 401},
    "goto-sim-partial-json-patch": {"patch_format": "partial_json"},
    "goto-sim-lower-resources": {"list_key": "resources"},
    "goto-sim-ignore-filter": {"ignore_filter": True},
    "goto-sim-delete-200-body": {"delete_answer": "ok_with_body"},
    "goto-sim-goto-json-errors": {"error_body": "goto_json"},
}
PEERS = ["scim2-server", "scimmy", *GOTO_VARIANTS]
MISSING = "4242424242424242424"


@dataclass
class Sent:
    method: str
    path: str
    body: Any
    status: int = 0


@dataclass
class GroupPeer:
    name: str
    target: ScimGroupTarget
    client: ScimClient
    make_users: Callable[[int], Awaitable[list[str]]]
    sim: GoToSimulator | None = None
    sent: list[Sent] = field(default_factory=list)

    @property
    def unique_names(self) -> bool:
        return self.name != "scim2-server"

    @property
    def member_cap(self) -> int | None:
        return 100 if self.sim is not None else None

    @property
    def patches(self) -> bool:
        return self.sim is None or self.sim.settings.patch_format == "patchop"

    def writes(self, method: str) -> list[Sent]:
        """The successful requests of one method to a group."""
        return [s for s in self.sent if s.method == method and "/Groups/" in s.path and s.status < 300]


def _recorder(sent: list[Sent]) -> dict[str, list[Callable[..., Any]]]:
    async def on_response(response: httpx.Response) -> None:
        request = response.request
        body = json.loads(request.content) if request.content else None
        sent.append(Sent(request.method, request.url.path, body, response.status_code))

    return {"response": [on_response]}


@pytest.fixture(params=PEERS)
async def peer(request: pytest.FixtureRequest) -> AsyncIterator[GroupPeer]:
    sim: GoToSimulator | None = None
    if request.param == "scim2-server":
        server: ServerThread = request.getfixturevalue("scim2_server")
        base_url, token = server.url + "/v2", SCIM2_TOKEN
    elif request.param == "scimmy":
        scimmy: ScimmyServer = request.getfixturevalue("scimmy_process")
        base_url, token = scimmy.new_tenant_url(), scimmy.token
    else:
        sim = request.getfixturevalue("reset_goto_sim")
        sim.configure(rate_limit_per_second=1000, **GOTO_VARIANTS[request.param])
        base_url, token = sim.scim_base_url, SANDBOX_GOTO_TOKEN
    sent: list[Sent] = []
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=10, event_hooks=_recorder(sent)
    ) as http:
        client = ScimClient(http, dialect=ScimDialect.goto(), throttle=fast_throttle())

        async def make_users(count: int) -> list[str]:
            """Members must be users the peer holds: made through its own API (the store, for the sim)."""
            names = [f"member{n:03}@contoso.com" for n in range(count)]
            if sim is not None:
                return [str(sim.store.create_user({"userName": name})["id"]) for name in names]
            return [str((await client.create_user(build_user({"userName": name})))["id"]) for name in names]

        yield GroupPeer(request.param, ScimGroupTarget(client), client, make_users, sim, sent)


async def test_create_empty(peer: GroupPeer) -> None:
    created = await peer.target.create_group({"displayName": "Sales", "externalId": "entra-1"})
    assert created.id and created.display_name == "Sales" and created.members == ()
    (post,) = [s for s in peer.sent if s.method == "POST" and s.path.endswith("/Groups")]
    assert "members" not in post.body  # created empty, filled later, as Entra does
    held = await peer.client.get_group(created.id)
    assert held is not None and held.get("externalId") == "entra-1" and not held.get("members")


async def test_rename(peer: GroupPeer) -> None:
    users = await peer.make_users(2)
    created = await peer.target.create_group({"displayName": "Sales", "externalId": "entra-1"})
    await peer.target.add_members(created.id, users)

    await peer.target.update_group(created.id, {"displayName": "Sales EU", "externalId": "entra-2"})
    found = await peer.target.find_group(display_name="Sales EU")
    assert found is not None and found.id == created.id and sorted(found.members) == sorted(users)
    assert await peer.target.find_group(display_name="Sales") is None
    held = await peer.client.get_group(created.id)
    assert held is not None and held["externalId"] == "entra-2"
    # a peer without PATCH (ServiceProviderConfig says so) gets the whole group, members kept
    assert (len(peer.writes("PATCH")) > 0, len(peer.writes("PUT")) > 0) == (peer.patches, not peer.patches)

    with pytest.raises(NotFoundError):
        await peer.target.update_group(MISSING, {"displayName": "Nobody"})


async def test_add_250_members(peer: GroupPeer) -> None:
    users = await peer.make_users(250)
    group = await peer.target.create_group({"displayName": "Everyone"})
    if peer.member_cap is None:
        await peer.target.add_members(group.id, users)
        assert [len(s.body["Operations"][0]["value"]) for s in peer.writes("PATCH")] == [100, 100, 50]
        found = await peer.target.find_group(display_name="Everyone")
        assert found is not None and sorted(found.members) == sorted(users)
        return
    # GoTo: at most 100 members per group
    with pytest.raises(BadRequestError):
        await peer.target.add_members(group.id, users)
    found = await peer.target.find_group(display_name="Everyone")
    assert found is not None
    if peer.patches:  # the first chunk of 100 went in, the second was refused
        assert [len(s.body["Operations"][0]["value"]) for s in peer.writes("PATCH")] == [100]
        assert sorted(found.members) == sorted(users[:100])
    else:  # PUT carries the whole member list: refused whole, 100 fit
        assert found.members == ()
        await peer.target.add_members(group.id, users[:100])
        found = await peer.target.find_group(display_name="Everyone")
        assert found is not None and sorted(found.members) == sorted(users[:100])


async def test_remove_some(peer: GroupPeer) -> None:
    users = await peer.make_users(10)
    group = await peer.target.create_group({"displayName": "Sales"})
    await peer.target.add_members(group.id, users)
    await peer.target.remove_members(group.id, users[:4])
    found = await peer.target.find_group(display_name="Sales")
    assert found is not None and sorted(found.members) == sorted(users[4:])
    if peer.name == "scim2-server":  # it refuses Entra's value-list removal: the path form is learned
        assert peer.client.capabilities.member_removal == "path_filter"
    await peer.target.remove_members(group.id, users[4:])
    emptied = await peer.target.find_group(display_name="Sales")
    assert emptied is not None and emptied.members == ()


async def test_find_by_exact_name(peer: GroupPeer) -> None:
    users = await peer.make_users(1)
    sales = await peer.target.create_group({"displayName": "Sales"})
    await peer.target.create_group({"displayName": "Sales Team"})
    await peer.target.add_members(sales.id, users)
    assert await peer.target.find_group(display_name="Sales") == TargetGroup(sales.id, "Sales", tuple(users))
    for other in ("SALES", "sales", "Sale", "Sales Team "):
        assert await peer.target.find_group(display_name=other) is None, other
    if not peer.unique_names:  # both spellings may exist: each finds its own
        lower = await peer.target.create_group({"displayName": "sales"})
        assert await peer.target.find_group(display_name="sales") == TargetGroup(lower.id, "sales", ())
        assert (await peer.target.find_group(display_name="Sales")) == TargetGroup(
            sales.id, "Sales", tuple(users)
        )


async def test_taken_name(peer: GroupPeer) -> None:
    first = await peer.target.create_group({"displayName": "Sales"})
    if peer.unique_names:
        for taken in ("Sales", "sales"):  # GoTo and SCIMMY compare names without case
            with pytest.raises(ConflictError):
                await peer.target.create_group({"displayName": taken})
        return
    second = await peer.target.create_group({"displayName": "Sales"})  # scim2-server: no uniqueness
    assert second.id != first.id
    found = await peer.target.find_group(display_name="Sales")
    assert found is not None and found.id in (first.id, second.id)


async def test_delete(peer: GroupPeer) -> None:
    group = await peer.target.create_group({"displayName": "Sales"})
    assert await peer.target.delete_group(group.id) is True
    assert await peer.target.find_group(display_name="Sales") is None
    assert await peer.client.get_group(group.id) is None


async def test_delete_twice(peer: GroupPeer) -> None:
    group = await peer.target.create_group({"displayName": "Sales"})
    assert await peer.target.delete_group(group.id) is True
    assert await peer.target.delete_group(group.id) is False
    assert await peer.target.delete_group(MISSING) is False
    if peer.sim is not None and peer.sim.settings.missing_group_status == 401:
        assert [s.status for s in peer.sent if s.method == "DELETE"] == [204, 401, 401]


async def test_a_peer_ignoring_the_filter_is_paged_through(reset_goto_sim: GoToSimulator) -> None:
    """GoTo variant `ignore_filter`: every group comes back; only the exact name is taken, past page 1."""
    sim = reset_goto_sim
    sim.configure(rate_limit_per_second=1000, ignore_filter=True)
    for n in range(130):
        sim.store.create_group({"displayName": f"Team {n:03}"})
    wanted = sim.store.create_group({"displayName": "Sales"})["id"]
    sent: list[Sent] = []
    headers = {"Authorization": f"Bearer {SANDBOX_GOTO_TOKEN}"}
    async with httpx.AsyncClient(
        base_url=sim.scim_base_url, headers=headers, timeout=10, event_hooks=_recorder(sent)
    ) as http:
        target = ScimGroupTarget(ScimClient(http, dialect=ScimDialect.goto(), throttle=fast_throttle()))
        assert await target.find_group(display_name="Sales") == TargetGroup(wanted, "Sales", ())
        assert await target.find_group(display_name="Nobody") is None
    lists = [s for s in sent if s.method == "GET" and s.path.endswith("/Groups")]
    assert len(lists) == 4  # 100 + 31 groups, twice
