"""Access tokens expire; refresh tokens renew them (without rotation by default) until revoked."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.goto import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GoToSimulator
from tests.fixtures.goto_sim import http_client

AUTH = (SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)


@pytest.fixture
def web(goto_sim: GoToSimulator) -> Iterator[httpx.Client]:
    goto_sim.configure(rate_limit_per_second=1000)
    with http_client(goto_sim.url) as client:
        yield client


def me_status(sim: GoToSimulator, access_token: str) -> int:
    with http_client(sim.scim_base_url, token=access_token) as scim:
        return scim.get("/Users/me").status_code


def refresh(web: httpx.Client, refresh_token: str) -> httpx.Response:
    return web.post(
        "/oauth/token", auth=AUTH, data={"grant_type": "refresh_token", "refresh_token": refresh_token}
    )


def login(sim: GoToSimulator) -> dict[str, Any]:
    return sim.oauth.issue(SANDBOX_CLIENT_ID)


def test_access_tokens_expire_after_their_ttl(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(access_token_ttl=0.3)
    tokens = login(goto_sim)
    assert tokens["expires_in"] == 1  # whole seconds, at least 1
    assert me_status(goto_sim, tokens["access_token"]) == 200

    time.sleep(0.4)

    with http_client(goto_sim.scim_base_url, token=tokens["access_token"]) as scim:
        expired = scim.get("/Users/me")
    assert expired.status_code == 401
    assert expired.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_refresh_gives_a_new_access_token_and_no_new_refresh_token(
    goto_sim: GoToSimulator, web: httpx.Client
) -> None:
    tokens = login(goto_sim)
    goto_sim.oauth.expire_access_tokens()
    assert me_status(goto_sim, tokens["access_token"]) == 401

    renewed = refresh(web, tokens["refresh_token"])

    assert renewed.status_code == 200
    body = renewed.json()
    assert "refresh_token" not in body
    assert body["access_token"] != tokens["access_token"]
    assert body["expires_in"] == 3600
    assert me_status(goto_sim, body["access_token"]) == 200
    assert refresh(web, tokens["refresh_token"]).status_code == 200  # still good: no rotation


def test_rotation_issues_a_new_refresh_token_and_retires_the_old(
    goto_sim: GoToSimulator, web: httpx.Client
) -> None:
    goto_sim.configure(rotate_refresh_tokens=True)
    tokens = login(goto_sim)

    renewed = refresh(web, tokens["refresh_token"]).json()

    assert renewed["refresh_token"] != tokens["refresh_token"]
    replay = refresh(web, tokens["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert refresh(web, renewed["refresh_token"]).status_code == 200


def test_revoked_refresh_tokens_are_invalid_grant(goto_sim: GoToSimulator, web: httpx.Client) -> None:
    tokens = login(goto_sim)

    assert goto_sim.oauth.revoke_refresh_tokens() == 1

    response = refresh(web, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "refresh token revoked"}
    assert me_status(goto_sim, tokens["access_token"]) == 200  # a live access token lives on


def test_revocation_can_target_one_client(goto_sim: GoToSimulator, web: httpx.Client) -> None:
    goto_sim.oauth.register_client("other", "other-secret")
    mine, theirs = login(goto_sim), goto_sim.oauth.issue("other")

    assert goto_sim.oauth.revoke_refresh_tokens(client_id="other") == 1

    assert refresh(web, mine["refresh_token"]).status_code == 200
    other = web.post(
        "/oauth/token",
        auth=("other", "other-secret"),
        data={"grant_type": "refresh_token", "refresh_token": theirs["refresh_token"]},
    )
    assert other.json()["error"] == "invalid_grant"


def test_refresh_tokens_expire_and_belong_to_their_client(goto_sim: GoToSimulator, web: httpx.Client) -> None:
    goto_sim.oauth.register_client("other", "other-secret")
    tokens = login(goto_sim)
    stolen = web.post(
        "/oauth/token",
        auth=("other", "other-secret"),
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert stolen.json()["error"] == "invalid_grant"

    goto_sim.configure(refresh_token_ttl=0.05)
    short = login(goto_sim)
    time.sleep(0.1)
    assert refresh(web, short["refresh_token"]).json()["error_description"] == "refresh token expired"
    assert refresh(web, "").json()["error"] == "invalid_request"
