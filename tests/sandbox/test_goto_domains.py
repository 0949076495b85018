"""GoTo refuses users whose e-mail domain is not a verified domain of the organization."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.goto import VERIFIED_DOMAINS, GoToSimulator

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture(autouse=True)
def _unthrottled(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(rate_limit_per_second=1000)


def assert_domain_refused(response: httpx.Response, address: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["scimType"] == "invalidValue"
    assert address in body["detail"] and "verified domain" in body["detail"]


def test_default_verified_domain_is_contoso() -> None:
    assert VERIFIED_DOMAINS == ("contoso.com",)


@pytest.mark.parametrize(
    ("user", "offender"),
    [
        ({"userName": "mallory@fabrikam.com"}, "mallory@fabrikam.com"),
        (
            {"userName": "mallory@contoso.com", "emails": [{"type": "work", "value": "m@fabrikam.com"}]},
            "m@fabrikam.com",
        ),
        (
            {
                "userName": "mallory",
                "emails": [{"type": "other", "value": "m@fabrikam.com", "primary": True}],
            },
            "m@fabrikam.com",
        ),
        ({"userName": "mallory", "emails": [{"value": "m@fabrikam.com"}]}, "m@fabrikam.com"),
        ({"userName": "mallory@sub.contoso.com"}, "mallory@sub.contoso.com"),
    ],
)
def test_unverified_domains_are_refused(goto_http: httpx.Client, user: dict[str, Any], offender: str) -> None:
    assert_domain_refused(goto_http.post("/Users", json=user), offender)


def test_non_governing_emails_and_non_email_usernames_are_not_checked(goto_http: httpx.Client) -> None:
    user = {
        "userName": "mallory",
        "emails": [
            {"type": "work", "value": "Mallory@CONTOSO.com"},
            {"type": "home", "value": "mallory@gmail.com"},
        ],
    }

    assert goto_http.post("/Users", json=user).status_code == 201


def test_verified_domains_are_configurable(goto_sim: GoToSimulator, goto_http: httpx.Client) -> None:
    goto_sim.configure(verified_domains=["fabrikam.com", "Example.ORG"])

    assert goto_http.post("/Users", json={"userName": "a@fabrikam.com"}).status_code == 201
    assert goto_http.post("/Users", json={"userName": "b@example.org"}).status_code == 201
    assert_domain_refused(goto_http.post("/Users", json={"userName": "c@contoso.com"}), "c@contoso.com")


def test_updates_may_not_introduce_an_unverified_address(goto_http: httpx.Client) -> None:
    user = goto_http.post("/Users", json={"userName": "d@contoso.com"}).json()
    patch = {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": "userName", "value": "d@fabrikam.com"}],
    }

    assert_domain_refused(goto_http.patch(f"/Users/{user['id']}", json=patch), "d@fabrikam.com")
    assert_domain_refused(
        goto_http.put(f"/Users/{user['id']}", json={"userName": "d@fabrikam.com"}), "d@fabrikam.com"
    )


def test_a_seeded_account_on_an_old_domain_can_still_be_disabled(
    goto_sim: GoToSimulator, goto_http: httpx.Client
) -> None:
    legacy = goto_sim.store.create_user({"userName": "old@legacy.example"}, check_domain=False)
    patch = {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": False}]}

    response = goto_http.patch(f"/Users/{legacy['id']}", json=patch)

    assert response.status_code == 200
    assert response.json()["active"] is False
