"""List requests: paging (startIndex 1-based, count, cap 100) and GoTo's narrow filter grammar."""

from __future__ import annotations

import httpx
import pytest

from sandbox.goto import SANDBOX_ADMIN_USERNAME, GoToSimulator

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


@pytest.fixture(autouse=True)
def _unthrottled(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(rate_limit_per_second=1000)


@pytest.fixture
def people(goto_sim: GoToSimulator) -> list[str]:
    """Seven users (plus the admin, who is part of every organization)."""
    names = [("Ann", "Archer"), ("Anna", "Baker"), ("Bob", "Cole"), ("Ben", "Dale")]
    names += [("Cy", "Eve"), ("Di", "Fox"), ("Ed", "Gray")]
    return [
        goto_sim.store.create_user(
            {
                "userName": f"{given.lower()}.{family.lower()}@contoso.com",
                "externalId": f"Ext-{given}",
                "displayName": f"{given} {family}",
                "name": {"givenName": given, "familyName": family},
            }
        )["id"]
        for given, family in names
    ]


def test_list_response_shape_and_admin_is_listed(goto_http: httpx.Client, people: list[str]) -> None:
    body = goto_http.get("/Users").json()

    assert body["schemas"] == [LIST]
    assert body["totalResults"] == 8
    assert body["startIndex"] == 1
    assert body["itemsPerPage"] == 8
    assert body["Resources"][0]["userName"] == SANDBOX_ADMIN_USERNAME
    assert [r["id"] for r in body["Resources"][1:]] == people


def test_paging_visits_every_user_once_in_creation_order(goto_http: httpx.Client, people: list[str]) -> None:
    seen: list[str] = []
    start = 1
    while True:
        page = goto_http.get("/Users", params={"startIndex": start, "count": 3}).json()
        assert page["totalResults"] == 8
        assert page["startIndex"] == start
        assert page["itemsPerPage"] == len(page["Resources"]) <= 3
        seen += [r["id"] for r in page["Resources"]]
        start += page["itemsPerPage"]
        if start > page["totalResults"]:
            break
    assert seen[1:] == people
    assert len(set(seen)) == 8


def test_paging_edges(goto_http: httpx.Client, people: list[str]) -> None:
    beyond = goto_http.get("/Users", params={"startIndex": 50, "count": 5}).json()
    assert (beyond["totalResults"], beyond["itemsPerPage"], beyond["Resources"]) == (8, 0, [])

    zero = goto_http.get("/Users", params={"count": 0}).json()
    assert (zero["totalResults"], zero["itemsPerPage"], zero["Resources"]) == (8, 0, [])

    below_one = goto_http.get("/Users", params={"startIndex": 0, "count": 2}).json()
    assert below_one["startIndex"] == 1
    assert below_one["itemsPerPage"] == 2

    bad = goto_http.get("/Users", params={"count": "ten"})
    assert bad.status_code == 400
    assert bad.json()["scimType"] == "invalidValue"


def test_pages_are_capped_at_100(goto_sim: GoToSimulator, goto_http: httpx.Client) -> None:
    for i in range(120):
        goto_sim.store.create_user({"userName": f"bulk{i}@contoso.com"})

    default = goto_http.get("/Users").json()
    asked_for_more = goto_http.get("/Users", params={"count": 500}).json()

    assert default["totalResults"] == asked_for_more["totalResults"] == 121
    assert default["itemsPerPage"] == asked_for_more["itemsPerPage"] == 100


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ('userName eq "ann.archer@contoso.com"', ["ann.archer@contoso.com"]),
        ('userName eq "ANN.Archer@Contoso.com"', ["ann.archer@contoso.com"]),  # caseExact=false
        ('UserName EQ "bob.cole@contoso.com"', ["bob.cole@contoso.com"]),
        (
            'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "di.fox@contoso.com"',
            ["di.fox@contoso.com"],
        ),
        ('userName sw "an"', ["ann.archer@contoso.com", "anna.baker@contoso.com"]),
        ('displayName eq "Ben Dale"', ["ben.dale@contoso.com"]),
        ('name.familyName eq "eve"', ["cy.eve@contoso.com"]),
        ('name.givenName sw "B"', ["bob.cole@contoso.com", "ben.dale@contoso.com"]),
        ('externalId eq "Ext-Ed"', ["ed.gray@contoso.com"]),
        ('externalId eq "ext-ed"', []),  # externalId is case-exact
        ('userName eq "nobody@contoso.com"', []),
        ('userName eq "quote\\"d@contoso.com"', []),
    ],
)
def test_user_filters(goto_http: httpx.Client, people: list[str], filter_: str, expected: list[str]) -> None:
    body = goto_http.get("/Users", params={"filter": filter_}).json()

    assert [r["userName"] for r in body["Resources"]] == expected
    assert body["totalResults"] == len(expected)


@pytest.mark.parametrize(
    "filter_",
    [
        'userName co "ann"',
        'title eq "x"',
        'userName eq "a@contoso.com" and active eq true',
        'userName eq "a" or userName eq "b"',
        "userName pr",
        "active eq true",
        'emails[type eq "work"].value eq "a@contoso.com"',
        "userName eq ann",
        "",
    ],
)
def test_unsupported_user_filters_are_400_invalid_filter(
    goto_http: httpx.Client, people: list[str], filter_: str
) -> None:
    response = goto_http.get("/Users", params={"filter": filter_ or " "})

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidFilter"


def test_group_filters(goto_sim: GoToSimulator, goto_http: httpx.Client) -> None:
    for name, external in (("Sales EMEA", "a1"), ("Sales US", "b2"), ("Support", "c3")):
        goto_sim.store.create_group({"displayName": name, "externalId": external})

    def names(filter_: str) -> list[str]:
        response = goto_http.get("/Groups", params={"filter": filter_})
        assert response.status_code == 200, response.text
        return [g["displayName"] for g in response.json()["Resources"]]

    assert names('displayName eq "sales us"') == ["Sales US"]
    assert names('displayName sw "Sales"') == ["Sales EMEA", "Sales US"]
    assert names('displayName co "pp"') == ["Support"]
    assert names('externalId eq "c3"') == ["Support"]
    refused = goto_http.get("/Groups", params={"filter": 'members eq "1"'})
    assert refused.status_code == 400
    assert refused.json()["scimType"] == "invalidFilter"


def test_excluded_attributes_and_attributes(goto_sim: GoToSimulator, goto_http: httpx.Client) -> None:
    user = goto_sim.store.create_user({"userName": "m@contoso.com", "displayName": "M"})
    goto_sim.store.create_group({"displayName": "G", "members": [{"value": user["id"]}]})

    slim = goto_http.get("/Groups", params={"excludedAttributes": "members"}).json()["Resources"][0]
    assert "members" not in slim and slim["displayName"] == "G"

    only = goto_http.get(f"/Users/{user['id']}", params={"attributes": "userName"}).json()
    assert set(only) == {"schemas", "id", "meta", "userName"}
