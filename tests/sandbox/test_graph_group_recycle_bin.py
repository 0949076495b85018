"""A Microsoft 365 group's delete is restorable (groups/delta `@removed: changed`), as a user's soft
delete is; a security group's, or a purge from the recycle bin, is for good (`deleted`)."""

from __future__ import annotations

import httpx
import pytest

from provisioning.model import GroupChange, MemberChange
from provisioning.source.graph import GraphSource
from sandbox.graph import APP_ROLE_USER_ID, GraphSimulator
from sandbox.graph.tenant import UnknownObjectError


async def _round(source: GraphSource, link: str | None) -> tuple[dict[str, GroupChange], str]:
    changes: dict[str, GroupChange] = {}
    delta_link = None
    async for page in source.iter_groups_delta(link=link):
        changes.update({c.id: c for c in page.items})
        delta_link = page.delta_link
    assert delta_link is not None
    return changes, delta_link


async def test_unified_group_deleted_restored_then_purged(
    graph_sim: GraphSimulator, graph_source: GraphSource
) -> None:
    tenant = graph_sim.tenant
    ada = tenant.create_user(givenName="Ada", surname="Lovelace")["id"]
    team = tenant.create_group("Team", groupTypes=["Unified"], mailEnabled=True)["id"]
    outer = tenant.create_group("Outer")["id"]
    tenant.add_member(team, ada)
    tenant.add_member(outer, team)
    tenant.assign(team, app_role_id=APP_ROLE_USER_ID)
    _, link = await _round(graph_source, None)

    tenant.delete_group(team)
    changes, link = await _round(graph_source, link)
    assert changes == {
        team: GroupChange(team, {}, (), removed="changed"),
        outer: GroupChange(outer, {}, (MemberChange(team, "group", removed=True),)),
    }
    assert tenant.assignments() == [] and tenant.groups() == [tenant.group(outer)]
    assert await graph_source.get_group(team, select=["displayName"]) is None
    first = {c.id: c.removed async for page in graph_source.iter_groups_delta(link=None) for c in page.items}
    assert first == {team: "changed", outer: None}  # a fresh reader sees the recycle bin too

    tenant.restore_group(team)
    changes, link = await _round(graph_source, link)
    assert changes[team] == GroupChange(team, {"displayName": "Team"}, (MemberChange(ada, "user"),))
    assert changes[outer].members == (MemberChange(team, "group"),)
    assert [a["principalId"] for a in tenant.assignments()] == [team]

    tenant.delete_group(team)
    tenant.purge_group(team)
    changes, _ = await _round(graph_source, link)
    assert changes[team].removed == "deleted"
    assert tenant.assignments() == [] and tenant.members(outer) == []
    with pytest.raises(UnknownObjectError):
        tenant.restore_group(team)


def test_security_groups_have_no_recycle_bin(graph_sim: GraphSimulator) -> None:
    tenant = graph_sim.tenant
    group = tenant.create_group("Security")["id"]
    tenant.delete_group(group)
    with pytest.raises(UnknownObjectError):
        tenant.restore_group(group)
    with pytest.raises(UnknownObjectError):
        tenant.purge_group(group)


def test_recycle_bin_over_the_control_surface(graph_sim: GraphSimulator) -> None:
    with httpx.Client(base_url=graph_sim.url) as http:
        team = http.post("/_sandbox/groups", json={"displayName": "Team", "groupTypes": ["Unified"]}).json()[
            "id"
        ]
        assert http.delete(f"/_sandbox/groups/{team}").status_code == 200
        assert http.get(f"/_sandbox/groups/{team}").status_code == 404
        assert http.post(f"/_sandbox/groups/{team}/restore").json()["displayName"] == "Team"
        assert http.delete(f"/_sandbox/groups/{team}").status_code == 200
        assert http.post(f"/_sandbox/groups/{team}/purge").json() == {"id": team, "purged": True}
        assert http.post(f"/_sandbox/groups/{team}/restore").status_code == 404
