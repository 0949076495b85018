"""The /_sandbox control surface (for demos and other processes) and its Python twin."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.goto import SANDBOX_ADMIN_USERNAME, SANDBOX_CLIENT_ID, GoToSimulator
from tests.fixtures.goto_sim import http_client


@pytest.fixture
def control(goto_sim: GoToSimulator) -> Iterator[httpx.Client]:
    with http_client(goto_sim.control_url) as client:
        yield client


def test_seeding_pre_existing_accounts_skips_the_domain_rule(
    control: httpx.Client, goto_sim: GoToSimulator, goto_http: httpx.Client
) -> None:
    seeded = control.post("/users", json=[{"userName": "legacy@old.example"}, {"userName": "b@contoso.com"}])
    assert seeded.status_code == 201
    user_ids = [u["id"] for u in seeded.json()]

    group = control.post("/groups", json={"displayName": "Legacy", "members": [{"value": user_ids[0]}]})
    assert group.status_code == 201

    state = control.get("/state").json()
    assert [u["userName"] for u in state["users"]] == [
        SANDBOX_ADMIN_USERNAME,
        "legacy@old.example",
        "b@contoso.com",
    ]
    assert state["groups"][0]["members"][0]["value"] == user_ids[0]
    assert control.get("/users").json() == goto_sim.store.users()
    assert goto_http.get(f"/Users/{user_ids[0]}").status_code == 200


def test_seeding_still_enforces_uniqueness(control: httpx.Client) -> None:
    response = control.post("/users", json={"userName": SANDBOX_ADMIN_USERNAME.upper()})

    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"


def test_configure_over_http(control: httpx.Client, goto_sim: GoToSimulator) -> None:
    config = control.post(
        "/config",
        json={"rate_limit_per_second": 50, "retry_after_header": False, "verified_domains": ["x.org"]},
    ).json()

    assert config["rate_limit_per_second"] == 50.0
    assert config["retry_after_header"] is False
    assert config["verified_domains"] == ["x.org"]
    assert config["server_error_share"] == 0.0  # fault settings are part of the same view
    assert goto_sim.store.verified_domains == ("x.org",)
    assert goto_sim.app.buckets["scim"].rate == 50.0


@pytest.mark.parametrize(
    "bad",
    [
        {"rate_limit_per_second": 0},
        {"nonsense": 1},
        {"retry_after_header": "yes"},
        {"timeout_mode": "forever"},
    ],
)
def test_bad_configuration_is_400_and_changes_nothing(
    control: httpx.Client, goto_sim: GoToSimulator, bad: dict[str, object]
) -> None:
    before = goto_sim.config()

    response = control.post("/config", json={"latency_ms": 5, **bad})

    assert response.status_code == 400
    assert "error" in response.json()
    assert goto_sim.config() == before


def test_faults_oauth_and_reset_over_http(
    control: httpx.Client, goto_sim: GoToSimulator, goto_http: httpx.Client
) -> None:
    assert control.post("/faults", json={"kind": "server_error", "count": 1}).status_code == 200
    assert goto_http.get("/Users/me").status_code == 500

    registered = control.post(
        "/oauth/clients",
        json={"client_id": "demo", "client_secret": "s", "redirect_uris": ["http://localhost/cb"]},
    )
    assert registered.status_code == 201
    assert "client_secret" not in registered.json()
    assert {c["client_id"] for c in control.get("/oauth/clients").json()} == {SANDBOX_CLIENT_ID, "demo"}

    tokens = goto_sim.oauth.issue()
    assert control.post("/oauth/revoke", json={}).json() == {"revoked": 1}
    assert control.post("/oauth/expire").json() == {"expired": 1}
    assert not goto_sim.oauth.access_token_valid(tokens["access_token"])

    goto_sim.configure(rate_limit_per_second=3)
    goto_sim.store.create_user({"userName": "temp@contoso.com"})
    assert control.post("/reset").status_code == 200
    assert [u["userName"] for u in goto_sim.store.users()] == [SANDBOX_ADMIN_USERNAME]
    assert goto_sim.settings.rate_limit_per_second == 10.0
    assert goto_sim.counters.total() == 0
    assert {c["client_id"] for c in goto_sim.oauth.clients()} == {SANDBOX_CLIENT_ID}


def test_unknown_control_route_is_404(control: httpx.Client) -> None:
    assert control.get("/nothing").status_code == 404
    assert control.post("/faults", json={"kind": "meteor"}).status_code == 400


def test_reset_returns_to_the_constructor_settings() -> None:
    with GoToSimulator(rate_limit_per_second=4, latency_ms=25, verified_domains=["a.example"]) as simulator:
        simulator.configure(rate_limit_per_second=99, latency_ms=0, verified_domains=["b.example"])

        simulator.reset()

        config = simulator.config()
    assert (config["rate_limit_per_second"], config["latency_ms"]) == (4.0, 25.0)
    assert config["verified_domains"] == ["a.example"]
    assert simulator.store.verified_domains == ("a.example",)
