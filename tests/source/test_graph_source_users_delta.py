"""GraphSource.iter_users_delta: pages as UserChange, minimal rounds, removals, cheap quiet rounds."""

from __future__ import annotations

from provisioning.model import DeltaPage, UserChange
from provisioning.source.graph import GraphSource
from sandbox.graph import GraphSimulator

SELECT = ["id", "userPrincipalName", "displayName", "accountEnabled", "jobTitle"]
ROUTE = "GET /v1.0/users/delta"


async def _round(source: GraphSource, link: str | None) -> list[DeltaPage[UserChange]]:
    return [page async for page in source.iter_users_delta(link=link, select=SELECT)]


async def test_full_then_incremental_rounds(graph_sim: GraphSimulator, graph_source: GraphSource) -> None:
    tenant = graph_sim.tenant
    tenant.seed(25, 0, seed=12)
    graph_sim.configure(page_size=10)
    pages = await _round(graph_source, None)
    assert [len(p.items) for p in pages] == [10, 10, 5]
    assert all(p.next_link and not p.delta_link for p in pages[:-1])
    link = pages[-1].delta_link
    assert link is not None and pages[-1].next_link is None
    users = tenant.users()
    first = pages[0].items[0]
    assert first == UserChange(id=users[0]["id"], attributes={k: users[0][k] for k in SELECT if k != "id"})

    a, b, c, d = (u["id"] for u in users[:4])
    tenant.update_user(a, jobTitle="Promoted")
    tenant.update_user(b, department="not selected, not tracked")
    tenant.soft_delete_user(c)
    tenant.hard_delete_user(d)
    graph_sim.counters.reset()
    pages = await _round(graph_source, link)
    assert graph_sim.counters.snapshot() == {ROUTE: 1}
    (page,) = pages
    assert page.items == [
        UserChange(id=a, attributes={"jobTitle": "Promoted"}),  # minimal: only what changed
        UserChange(id=c, removed="changed"),
        UserChange(id=d, removed="deleted"),
    ]
    assert page.delta_link and page.delta_link != link


async def test_quiet_round_costs_one_request(graph_sim: GraphSimulator, graph_source: GraphSource) -> None:
    graph_sim.tenant.seed(40, 0, seed=13)
    graph_sim.configure(page_size=15)
    link = (await _round(graph_source, None))[-1].delta_link
    graph_sim.counters.reset()
    pages = await _round(graph_source, link)
    assert [(p.items, p.next_link is None, p.delta_link is not None) for p in pages] == [([], True, True)]
    assert graph_sim.counters.snapshot() == {ROUTE: 1}


async def test_empty_pages_in_the_middle_are_followed(
    graph_sim: GraphSimulator, graph_source: GraphSource
) -> None:
    graph_sim.tenant.seed(6, 0, seed=14)
    graph_sim.configure(page_size=2, empty_page_every=1)
    pages = await _round(graph_source, None)
    assert [len(p.items) for p in pages] == [2, 0, 2, 0, 2]
    assert sum(len(p.items) for p in pages) == 6 and pages[-1].delta_link
