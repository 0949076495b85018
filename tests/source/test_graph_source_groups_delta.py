"""GraphSource.iter_groups_delta: members@delta as MemberChange, split groups, `latest`, quiet rounds."""

from __future__ import annotations

import pytest

from provisioning.model import DeltaPage, GroupChange, MemberChange
from provisioning.source.graph import GraphSource
from sandbox.graph import GraphSimulator

ROUTE = "GET /v1.0/groups/delta"


async def _round(
    source: GraphSource, link: str | None, *, latest: bool = False
) -> list[DeltaPage[GroupChange]]:
    return [page async for page in source.iter_groups_delta(link=link, latest=latest)]


async def test_split_group_and_member_removals(graph_sim: GraphSimulator, graph_source: GraphSource) -> None:
    tenant = graph_sim.tenant
    graph_sim.configure(page_size=2, max_members_per_entry=4)
    group = tenant.create_group("Engineering", description="not selected by default")["id"]
    users = [tenant.create_user(givenName="Eng", surname=f"E{n}")["id"] for n in range(9)]
    for user_id in users:
        tenant.add_member(group, user_id)

    pages = await _round(graph_source, None)
    changes = [c for p in pages for c in p.items]
    assert [c.id for c in changes] == [group, group, group]  # 4 + 4 + 1 members, over two pages
    assert len(pages) == 2
    assert changes[0].attributes == {"displayName": "Engineering"}
    assert changes[1].attributes == {} and changes[2].attributes == {}
    assert [m for c in changes for m in c.members] == [MemberChange(u, "user") for u in users]
    link = pages[-1].delta_link

    tenant.remove_member(group, users[0])
    tenant.update_group(group, displayName="Engineering EU")
    (page,) = await _round(graph_source, link)
    (change,) = page.items
    assert change == GroupChange(
        id=group,
        attributes={"displayName": "Engineering EU"},
        members=(MemberChange(users[0], "user", removed=True),),
    )


async def test_latest_and_quiet_rounds(graph_sim: GraphSimulator, graph_source: GraphSource) -> None:
    tenant = graph_sim.tenant
    tenant.seed(30, 4, seed=15)
    pages = await _round(graph_source, None, latest=True)
    assert [(p.items, p.next_link) for p in pages] == [([], None)]
    link = pages[0].delta_link
    assert link is not None

    graph_sim.counters.reset()
    quiet = await _round(graph_source, link)
    assert [p.items for p in quiet] == [[]] and quiet[0].delta_link
    assert graph_sim.counters.snapshot() == {ROUTE: 1}

    group = tenant.groups()[0]["id"]
    newcomer = tenant.create_user(givenName="New", surname="Joiner")["id"]
    tenant.add_member(group, newcomer)
    (page,) = await _round(graph_source, quiet[0].delta_link)
    assert [(c.id, c.members) for c in page.items] == [(group, (MemberChange(newcomer, "user"),))]

    with pytest.raises(ValueError):
        await _round(graph_source, link, latest=True)
