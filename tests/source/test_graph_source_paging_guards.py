"""A Graph that loops or pages without end stops the read with a SourceError naming the collection,
through the real msgraph-sdk against the simulator: no endless cycle, no unbounded memory."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import httpx
import pytest

from provisioning.errors import SourceError
from provisioning.source.graph import GraphSource
from sandbox.graph import SERVICE_PRINCIPAL_ID, GraphSimulator
from tests.fixtures.graph_sim import make_graph_client

SELECT = ["id", "displayName"]
ASSIGNED = "GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo"
SECONDS = 10.0  # without the guards these reads never end: fail rather than hang


async def _bounded(read: Awaitable[Any]) -> Any:
    return await asyncio.wait_for(read, SECONDS)


def _tenant(sim: GraphSimulator) -> str:
    """Five assigned users, one group holding them; the group's id."""
    sim.tenant.seed(5, 1, seed=3)
    group = sim.tenant.groups()[0]["id"]
    for user in sim.tenant.users():
        sim.tenant.assign(user["id"])
        if user["id"] not in {m for m, _ in sim.tenant.members(group)}:
            sim.tenant.add_member(group, user["id"])
    return group


async def _users(source: GraphSource, link: str | None = None) -> int:
    pages = 0
    async for _ in source.iter_users_delta(link=link, select=SELECT):
        pages += 1
    return pages


async def _groups(source: GraphSource) -> int:
    return len([page async for page in source.iter_groups_delta(link=None)])


async def test_a_self_pointing_next_link_stops_every_paged_read(
    graph_sim: GraphSimulator, graph_source: GraphSource
) -> None:
    group = _tenant(graph_sim)
    graph_sim.configure(page_size=2)
    link = None
    async for page in graph_source.iter_users_delta(link=None, select=SELECT):
        link = page.delta_link or link
    assert link is not None
    graph_sim.configure(next_link_loop="self")
    graph_sim.counters.reset()

    reads = {
        "users delta": _users(graph_source),
        "groups delta": _groups(graph_source),
        "app role assignments": graph_source.list_assignments(SERVICE_PRINCIPAL_ID),
        f"members of group {group}": graph_source.list_group_members(group),
    }
    for what, read in reads.items():
        with pytest.raises(SourceError) as raised:
            await _bounded(read)
        message = str(raised.value)
        assert message.startswith(f"reading {what} failed: Graph returned a nextLink already followed")
        assert "http" not in message  # never a link (they carry tokens)
    with pytest.raises(SourceError, match="users delta failed: Graph returned a nextLink already"):
        await _bounded(
            _users(graph_source, link)
        )  # a stored link followed: its own URL is known from the start
    assert graph_sim.counters.total() == 2 * 4 + 1  # each read: the first page, then the repeat


async def test_an_endless_chain_of_rows_stops_at_the_item_bound(
    graph_sim: GraphSimulator, graph_http: httpx.AsyncClient
) -> None:
    group = _tenant(graph_sim)
    graph_sim.configure(next_link_loop="endless")
    source = GraphSource(make_graph_client(graph_sim, graph_http), max_items=23)

    with pytest.raises(SourceError) as raised:
        await _bounded(source.list_assignments(SERVICE_PRINCIPAL_ID))
    assert str(raised.value) == (
        "reading app role assignments failed: Graph returned more than 23 rows, the bound for a "
        "collection read whole; stopping rather than filling memory"
    )
    assert graph_sim.counters.snapshot()[ASSIGNED] == 5  # 5 rows a page: the fifth page passes 23
    with pytest.raises(SourceError, match=rf"members of group {group} failed: .* more than 23 rows"):
        await _bounded(source.list_group_members(group))


async def test_an_endless_chain_of_pages_stops_at_the_page_bound(
    graph_sim: GraphSimulator, graph_http: httpx.AsyncClient
) -> None:
    _tenant(graph_sim)
    graph_sim.configure(next_link_loop="endless", page_size=2)
    source = GraphSource(make_graph_client(graph_sim, graph_http), max_pages=7)

    with pytest.raises(SourceError) as raised:
        await _bounded(_users(source))
    assert str(raised.value) == (
        "reading users delta failed: Graph returned more than 7 pages, the bound for one read; "
        "the read stops here"
    )
    assert graph_sim.counters.snapshot() == {"GET /v1.0/users/delta": 8}
    for user in graph_sim.tenant.users():  # an empty collection paged without end: pages bound it
        graph_sim.tenant.unassign(user["id"])
    with pytest.raises(SourceError, match=r"app role assignments failed: .* more than 7 pages"):
        await _bounded(source.list_assignments(SERVICE_PRINCIPAL_ID))


async def test_paging_as_graph_does_is_untouched(
    graph_sim: GraphSimulator, graph_source: GraphSource
) -> None:
    """The guards cost nothing on a well-behaved Graph: many pages, every row, one request each."""
    group = _tenant(graph_sim)
    graph_sim.configure(page_size=1)
    assert await _users(graph_source) == 5
    assert len(await graph_source.list_assignments(SERVICE_PRINCIPAL_ID)) == 5
    assert len(await graph_source.list_group_members(group)) == 5
