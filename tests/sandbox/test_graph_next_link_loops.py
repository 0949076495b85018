"""The simulator's misbehaving paging, set over /_sandbox/settings: a nextLink pointing at the
request itself, or a chain of new nextLinks that never ends, on delta rounds and listings alike."""

from __future__ import annotations

import httpx

from sandbox.graph import SANDBOX_GRAPH_TOKEN, SERVICE_PRINCIPAL_ID, GraphSimulator

AUTH = {"Authorization": f"Bearer {SANDBOX_GRAPH_TOKEN}"}


def test_self_pointing_and_endless_links(graph_sim: GraphSimulator) -> None:
    with httpx.Client(base_url=graph_sim.url, headers=AUTH) as http:
        http.post("/_sandbox/seed", json={"users": 3, "groups": 1, "seed": 2})
        for user in http.get("/_sandbox/users").json()["value"]:
            http.post("/_sandbox/assignments", json={"principalId": user["id"]})
        assert http.patch("/_sandbox/settings", json={"next_link_loop": "self"}).status_code == 200

        url = f"{graph_sim.base_url}/users/delta?$select=id,displayName"
        page = http.get(url).json()
        assert page["@odata.nextLink"] == url and "@odata.deltaLink" not in page
        assert len(page["value"]) == 3
        again = http.get(page["@odata.nextLink"]).json()
        assert again["@odata.nextLink"] == url

        http.patch("/_sandbox/settings", json={"next_link_loop": "endless"})
        link = f"{graph_sim.base_url}/servicePrincipals/{SERVICE_PRINCIPAL_ID}/appRoleAssignedTo"
        links, rows = [], []
        for _ in range(4):
            page = http.get(link).json()
            rows += [r["principalId"] for r in page["value"]]
            link = page["@odata.nextLink"]
            links.append(link)
        assert len(set(links)) == 4  # always a new link
        assert len(rows) == 12 and len(set(rows)) == 3  # the last page served again and again

        refused = http.patch("/_sandbox/settings", json={"next_link_loop": "sometimes"})
        assert refused.status_code == 400 and "next_link_loop" in refused.json()["error"]
        assert (
            http.patch("/_sandbox/settings", json={"next_link_loop": None}).json()["next_link_loop"] is None
        )
        page = http.get(f"{graph_sim.base_url}/users/delta").json()
        assert "@odata.nextLink" not in page and "@odata.deltaLink" in page
