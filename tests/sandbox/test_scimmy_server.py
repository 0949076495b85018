"""SCIMMY on loopback: a real second SCIM 2.0 peer, one empty service per tenant prefix, and as
strict as scim2-server about a filtered replace that matches nothing (RFC 7644 §3.5.2.3)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.scimmy import ScimmyServer
from tests.fixtures.scimmy import scimmy_process  # noqa: F401  (a fixture, used through getfixturevalue)

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def scimmy(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    server: ScimmyServer = request.getfixturevalue("scimmy_process")
    headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/scim+json"}
    with httpx.Client(base_url=server.new_tenant_url(), headers=headers, timeout=10) as client:
        yield client


def test_tenants_are_separate(scimmy: httpx.Client, request: pytest.FixtureRequest) -> None:
    server: ScimmyServer = request.getfixturevalue("scimmy_process")
    assert scimmy.post("/Users", json={"schemas": [USER], "userName": "a@contoso.com"}).status_code == 201
    other = httpx.get(f"{server.new_tenant_url()}/Users", headers={"Authorization": f"Bearer {server.token}"})
    assert other.json()["totalResults"] == 0 and scimmy.get("/Users").json()["totalResults"] == 1


def test_a_wrong_token_is_refused(scimmy: httpx.Client) -> None:
    assert scimmy.get("/Users", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_a_filtered_replace_of_a_missing_email_is_no_target(scimmy: httpx.Client) -> None:
    user = scimmy.post("/Users", json={"schemas": [USER], "userName": "b@contoso.com"}).json()
    patch = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "Replace", "path": 'emails[type eq "work"].value', "value": "b@contoso.com"}],
    }
    response = scimmy.patch(f"/Users/{user['id']}", json=patch)
    assert response.status_code == 400 and response.json()["scimType"] == "noTarget"


def test_user_names_are_unique_ignoring_case(scimmy: httpx.Client) -> None:
    assert scimmy.post("/Users", json={"schemas": [USER], "userName": "c@contoso.com"}).status_code == 201
    duplicate = scimmy.post("/Users", json={"schemas": [USER], "userName": "C@contoso.com"})
    assert duplicate.status_code == 409 and duplicate.json()["scimType"] == "uniqueness"
