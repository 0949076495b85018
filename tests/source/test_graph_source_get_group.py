"""GraphSource.get_group (a group's selected properties, None once it is gone) and the service
principal's added app roles, through the real msgraph-sdk against the simulator."""

from __future__ import annotations

import pytest

from provisioning.errors import SourceError
from provisioning.model import AppRole
from provisioning.source.graph import GraphSource
from sandbox.graph import APP_ROLE_USER_ID, SERVICE_PRINCIPAL_ID, GraphSimulator


async def test_get_group_selects_and_misses(graph_sim: GraphSimulator, graph_source: GraphSource) -> None:
    tenant = graph_sim.tenant
    group = tenant.create_group("Sales", description="Sellers")["id"]
    assert await graph_source.get_group(group, select=["id", "displayName", "description"]) == {
        "id": group,
        "displayName": "Sales",
        "description": "Sellers",
    }
    assert await graph_source.get_group(group, select=["displayName"]) == {
        "id": group,
        "displayName": "Sales",
    }
    query = graph_sim.counters.queries("GET /v1.0/groups/{id}")
    assert query[-1] == "$select=displayName"
    # the groups/delta select (members included): members is not a property of a plain read
    assert await graph_source.get_group(group, select=["displayName", "members"]) == {
        "id": group,
        "displayName": "Sales",
    }
    assert graph_sim.counters.queries("GET /v1.0/groups/{id}")[-1] == "$select=displayName"

    tenant.delete_group(group)
    assert await graph_source.get_group(group, select=["displayName"]) is None
    assert await graph_source.get_group("00000000-0000-0000-0000-0000000000dd", select=["id"]) is None
    with pytest.raises(SourceError, match=r"reading group .* failed: HTTP 400"):
        await graph_source.get_group(tenant.create_group("Other")["id"], select=["noSuchProperty"])


async def test_service_principal_lists_added_roles(
    graph_sim: GraphSimulator, graph_source: GraphSource
) -> None:
    organizer = graph_sim.tenant.add_app_role("Organizer", display_name="Meeting organizer")
    sp = await graph_source.get_service_principal(SERVICE_PRINCIPAL_ID)
    assert sp.app_roles == (
        AppRole(id=APP_ROLE_USER_ID, value="User", display_name="User", is_enabled=True),
        AppRole(id=organizer, value="Organizer", display_name="Meeting organizer", is_enabled=True),
    )
