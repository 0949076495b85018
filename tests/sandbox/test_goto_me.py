"""/Users/me answers the consenting admin; the account key comes from the getgo extension."""

from __future__ import annotations

import httpx

from sandbox.goto import SANDBOX_ACCOUNT_KEY, SANDBOX_ADMIN_USERNAME, SANDBOX_CLIENT_ID, GoToSimulator
from tests.fixtures.goto_sim import http_client

GETGO = "urn:scim:schemas:extension:getgo:1.0"


def test_me_is_the_admin_with_the_account_key(goto_http: httpx.Client, goto_sim: GoToSimulator) -> None:
    response = goto_http.get("/Users/me")

    assert response.status_code == 200
    me = response.json()
    assert me["userName"] == SANDBOX_ADMIN_USERNAME
    assert me[GETGO]["accounts"][0]["value"] == SANDBOX_ACCOUNT_KEY
    assert me["id"] == goto_sim.store.get_admin()["id"]
    assert goto_http.get(f"/Users/{me['id']}").json() == me


def test_me_with_an_oauth_access_token(goto_sim: GoToSimulator) -> None:
    token = goto_sim.oauth.issue(SANDBOX_CLIENT_ID)["access_token"]

    with http_client(goto_sim.scim_base_url, token=token) as client:
        me = client.get("/Users/me").json()

    assert me["userName"] == SANDBOX_ADMIN_USERNAME


def test_me_only_reads(goto_http: httpx.Client) -> None:
    response = goto_http.delete("/Users/me")

    assert response.status_code == 404  # "me" is not a userKey
    assert goto_http.get("/Users/me").status_code == 200
