"""The legacy password grant ("Direct Login"): only clients that kept it may use it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.goto import (
    SANDBOX_ADMIN_PASSWORD,
    SANDBOX_ADMIN_USERNAME,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    GoToSimulator,
)
from tests.fixtures.goto_sim import http_client


@pytest.fixture
def web(goto_sim: GoToSimulator) -> Iterator[httpx.Client]:
    goto_sim.configure(rate_limit_per_second=1000)
    with http_client(goto_sim.url) as client:
        yield client


def password_grant(
    web: httpx.Client, auth: tuple[str, str], password: str = SANDBOX_ADMIN_PASSWORD
) -> httpx.Response:
    return web.post(
        "/oauth/token",
        auth=auth,
        data={"grant_type": "password", "username": SANDBOX_ADMIN_USERNAME, "password": password},
    )


def test_the_sandbox_client_kept_the_password_grant(goto_sim: GoToSimulator, web: httpx.Client) -> None:
    response = password_grant(web, (SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))

    assert response.status_code == 200
    body = response.json()
    assert body["refresh_token"]
    with http_client(goto_sim.scim_base_url, token=body["access_token"]) as scim:
        assert scim.get("/Users/me").status_code == 200


def test_a_new_client_gets_unauthorized_client(goto_sim: GoToSimulator, web: httpx.Client) -> None:
    goto_sim.oauth.register_client("new-app", "new-secret")

    response = password_grant(web, ("new-app", "new-secret"))

    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_a_flagged_client_may_use_it(goto_sim: GoToSimulator, web: httpx.Client) -> None:
    goto_sim.oauth.register_client("old-app", "old-secret", password_grant=True)

    assert password_grant(web, ("old-app", "old-secret")).status_code == 200


def test_wrong_password_is_invalid_grant(web: httpx.Client) -> None:
    response = password_grant(web, (SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET), password="guess")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
