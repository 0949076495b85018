"""The `/_sandbox/` HTTP control surface drives the same tenant the Graph routes serve."""

from __future__ import annotations

import httpx

from sandbox.graph import SANDBOX_GRAPH_TOKEN, GraphSimulator

AUTH = {"Authorization": f"Bearer {SANDBOX_GRAPH_TOKEN}"}


def test_control_surface_round_trip(graph_sim: GraphSimulator) -> None:
    with httpx.Client(base_url=graph_sim.url) as http:
        state = http.post("/_sandbox/seed", json={"users": 4, "groups": 2, "seed": 6}).json()
        assert state["users"] == 4 and state["groups"] == 2
        assert http.patch("/_sandbox/settings", json={"page_size": 3}).json()["page_size"] == 3

        created = http.post(
            "/_sandbox/users", json={"givenName": "Http", "surname": "Made", "jobTitle": "Ops"}
        )
        assert created.status_code == 201
        user_id = created.json()["id"]
        group_id = http.post("/_sandbox/groups", json={"displayName": "Http Group"}).json()["id"]
        assert http.post(f"/_sandbox/groups/{group_id}/members", json={"id": user_id}).status_code == 201
        assignment = http.post("/_sandbox/assignments", json={"principalId": group_id})
        assert assignment.status_code == 201 and assignment.json()["id"]

        first = http.get("/v1.0/users/delta?$select=displayName,accountEnabled", headers=AUTH).json()
        assert len(first["value"]) == 3 and "@odata.nextLink" in first
        assert http.patch(f"/_sandbox/users/{user_id}", json={"displayName": "Renamed"}).status_code == 200
        assert http.post(f"/_sandbox/users/{user_id}/disable").json()["accountEnabled"] is False
        assert http.post(f"/_sandbox/users/{user_id}/soft-delete").json()["state"] == "soft_deleted"
        assert http.post(f"/_sandbox/users/{user_id}/restore").json()["state"] == "active"
        members = http.get(f"/_sandbox/groups/{group_id}/members").json()["value"]
        assert members == [{"id": user_id, "type": "user"}]

        assert http.post("/_sandbox/delta/expire", json={"gone": True}).json()["gone"] is True
        expired = http.get(first["@odata.nextLink"], headers=AUTH)
        assert expired.status_code == 410 and expired.json()["error"]["code"] == "resyncRequired"

        http.patch("/_sandbox/faults", json={"retry_after": 7})
        http.post("/_sandbox/faults/queue", json={"kind": "throttle", "count": 1})
        throttled = http.get("/v1.0/users/delta", headers=AUTH)
        assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
        assert http.get("/_sandbox/faults").json()["injected"]["throttle"] == 1

        counters = http.get("/_sandbox/counters").json()
        assert counters["counts"] == {"GET /v1.0/users/delta": 3} and counters["total"] == 3
        assert http.delete("/_sandbox/counters").json()["total"] == 0

        assert http.delete(f"/_sandbox/users/{user_id}").json()["state"] == "hard_deleted"
        assert http.get(f"/_sandbox/groups/{group_id}/members").json()["value"] == []
        assert http.get("/_sandbox/users/no-such-user").status_code == 404
        assert http.post("/_sandbox/users", json={"shoeSize": 44}).status_code == 400
        assert http.delete(f"/_sandbox/assignments/{group_id}").json() == {"removed": 1}

        reset = http.post("/_sandbox/reset").json()
        assert reset["users"] == 0 and reset["version"] == 0
        assert http.get("/_sandbox/counters").json()["total"] == 0  # control calls are never counted
