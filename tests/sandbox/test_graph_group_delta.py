"""groups/delta: members@delta, a big group split over several pages, removals, nested groups."""

from __future__ import annotations

from typing import Any

from msgraph import GraphServiceClient

from sandbox.graph import GraphSimulator
from tests.fixtures.graph_sim import read_json


async def _round(client: GraphServiceClient, link: str | None) -> tuple[list[list[dict[str, Any]]], str]:
    request = (
        client.groups.delta.to_get_request_information()
        if link is None
        else client.groups.delta.with_url(link).to_get_request_information()
    )
    pages = []
    while True:
        page = await read_json(client, request)
        pages.append(page["value"])
        if "@odata.deltaLink" in page:
            return pages, page["@odata.deltaLink"]
        request = client.groups.delta.with_url(page["@odata.nextLink"]).to_get_request_information()


def _merge(pages: list[list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """What a reader must do: merge repeated entries of one group."""
    merged: dict[str, dict[str, Any]] = {}
    for entry in (e for page in pages for e in page):
        target = merged.setdefault(entry["id"], {"members": {}})
        for key, value in entry.items():
            if key == "members@delta":
                for member in value:
                    target["members"][member["id"]] = member
            elif key != "id":
                target[key] = value
    return merged


async def test_big_group_split_across_pages_with_removals(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    tenant = graph_sim.tenant
    graph_sim.configure(page_size=2, max_members_per_entry=10)
    users = [tenant.create_user(givenName="M", surname=f"Member{n}")["id"] for n in range(35)]
    big = tenant.create_group("Big Group")["id"]
    small = tenant.create_group("Small Group")["id"]
    for user_id in users:
        tenant.add_member(big, user_id)
    tenant.add_member(small, users[0])
    tenant.add_member(small, big)  # nested: reported as a group member, never expanded

    pages, link = await _round(graph_client, None)
    assert len(pages) == 3  # big: 4 entries (10+10+10+5), small: 1 entry; 2 entries per page
    entries = [e for page in pages for e in page]
    assert [e["id"] for e in entries] == [big, big, big, big, small]
    assert entries[0]["displayName"] == "Big Group" and "displayName" not in entries[1]
    merged = _merge(pages)
    assert set(merged[big]["members"]) == set(users)
    assert all(m["@odata.type"] == "#microsoft.graph.user" for m in merged[big]["members"].values())
    assert merged[small]["members"][big]["@odata.type"] == "#microsoft.graph.group"

    tenant.remove_member(big, users[3])
    tenant.hard_delete_user(users[4])  # removes its memberships, as Entra does
    tenant.soft_delete_user(users[5])  # hides them (back on restore)
    tenant.add_member(small, users[6])
    pages, link = await _round(graph_client, link)
    merged = _merge(pages)
    assert set(merged) == {big, small}
    removed = {i for i, m in merged[big]["members"].items() if m.get("@removed") == {"reason": "deleted"}}
    assert removed == {users[3], users[4], users[5]}
    assert set(merged[big]["members"]) == removed
    assert set(merged[small]["members"]) == {users[6]}

    tenant.restore_user(users[5])
    pages, _ = await _round(graph_client, link)
    merged = _merge(pages)
    assert set(merged) == {big}
    assert merged[big]["members"] == {users[5]: {"@odata.type": "#microsoft.graph.user", "id": users[5]}}


async def test_members_delta_through_sdk_models(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    tenant = graph_sim.tenant
    tenant.seed(6, 1, seed=2)
    (group,) = tenant.groups()
    response = await graph_client.groups.delta.get()
    assert response is not None and response.value is not None
    (entry,) = response.value
    assert entry.display_name == group["displayName"]
    members = entry.additional_data["members@delta"]
    assert {str(m["id"]) for m in members} == {
        i for i, _ in tenant.members(group["id"])
    }  # ids arrive as UUID
