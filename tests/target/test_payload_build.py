"""Full resources for POST/PUT from path-keyed values, checked exactly and by scim2-models' own schema."""

from __future__ import annotations

from typing import Any

import pytest
from scim2_models import Context, EnterpriseUser, Group, User

from provisioning.target import ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA, build_group, build_user

ENT = ENTERPRISE_USER_SCHEMA
WORK = 'emails[type eq "work"].value'

BUILD_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "minimal",
        {"userName": "a@contoso.com"},
        {"schemas": [USER_SCHEMA], "userName": "a@contoso.com"},
    ),
    (
        "entra default mapping",
        {
            "userName": "a@contoso.com",
            "active": True,
            "displayName": "A B",
            "name.givenName": "A",
            "name.familyName": "B",
            WORK: "a@contoso.com",
            "externalId": "a",
            "title": "Engineer",
            f"{ENT}:department": "IT",
            f"{ENT}:employeeNumber": "42",
        },
        {
            "schemas": [USER_SCHEMA, ENT],
            "userName": "a@contoso.com",
            "active": True,
            "displayName": "A B",
            "name": {"givenName": "A", "familyName": "B"},
            "emails": [{"type": "work", "value": "a@contoso.com", "primary": True}],
            "externalId": "a",
            "title": "Engineer",
            ENT: {"department": "IT", "employeeNumber": "42"},
        },
    ),
    (
        "None leaves the attribute (and an unused extension) out",
        {"userName": "a@contoso.com", "title": None, f"{ENT}:department": None, WORK: None},
        {"schemas": [USER_SCHEMA], "userName": "a@contoso.com"},
    ),
    (
        "the first typed entry of each multi-valued attribute is primary",
        {
            "userName": "a@contoso.com",
            WORK: "a@contoso.com",
            'emails[type eq "home"].value': "a@home.example",
            'phoneNumbers[type eq "mobile"].value': "+1 555 0100",
        },
        {
            "schemas": [USER_SCHEMA],
            "userName": "a@contoso.com",
            "emails": [
                {"type": "work", "value": "a@contoso.com", "primary": True},
                {"type": "home", "value": "a@home.example"},
            ],
            "phoneNumbers": [{"type": "mobile", "value": "+1 555 0100", "primary": True}],
        },
    ),
    (
        "two sub-attributes of one entry share it",
        {"userName": "a@contoso.com", WORK: "a@contoso.com", 'emails[type eq "work"].display': "A"},
        {
            "schemas": [USER_SCHEMA],
            "userName": "a@contoso.com",
            "emails": [{"type": "work", "value": "a@contoso.com", "primary": True, "display": "A"}],
        },
    ),
    (
        "complex extension attribute and core URN prefix",
        {
            f"{USER_SCHEMA}:userName": "a@contoso.com",
            f"{ENT}:manager.value": "boss-id",
            f"{ENT}:manager.$ref": "../Users/boss-id",
        },
        {
            "schemas": [USER_SCHEMA, ENT],
            "userName": "a@contoso.com",
            ENT: {"manager": {"value": "boss-id", "$ref": "../Users/boss-id"}},
        },
    ),
]


@pytest.mark.parametrize(
    ("values", "expected"), [c[1:] for c in BUILD_CASES], ids=[c[0] for c in BUILD_CASES]
)
def test_build_user(values: dict[str, Any], expected: dict[str, Any]) -> None:
    built = build_user(values)
    assert built == expected
    # an independent reading of RFC 7643: scim2-models accepts it as a creation request
    User[EnterpriseUser].model_validate(built, scim_ctx=Context.RESOURCE_CREATION_REQUEST)


def test_build_user_does_not_touch_its_input() -> None:
    values = {"userName": "a@contoso.com", WORK: "a@contoso.com"}
    before = dict(values)
    build_user(values)
    assert values == before


@pytest.mark.parametrize(
    "path",
    ["", "1abc", 'emails[type gt "work"].value', "emails[type eq work", "name..givenName", "urn:x:"],
)
def test_unsupported_paths_are_refused(path: str) -> None:
    with pytest.raises(ValueError):
        build_user({"userName": "a", path: "x"})


def test_a_whole_entry_needs_an_object_value() -> None:
    with pytest.raises(ValueError, match="must be an object"):
        build_user({"userName": "a", 'emails[type eq "work"]': "a@contoso.com"})
    built = build_user({"userName": "a", 'emails[type eq "work"]': {"value": "a@contoso.com"}})
    assert built["emails"] == [{"type": "work", "value": "a@contoso.com", "primary": True}]


@pytest.mark.parametrize(
    ("values", "members", "expected"),
    [
        ({"displayName": "Sales"}, [], {"schemas": [GROUP_SCHEMA], "displayName": "Sales"}),
        (
            {"displayName": "Sales", "externalId": "g1"},
            ["u1", "u2", "u1"],
            {
                "schemas": [GROUP_SCHEMA],
                "displayName": "Sales",
                "externalId": "g1",
                "members": [{"value": "u1"}, {"value": "u2"}],
            },
        ),
    ],
    ids=["empty, as Entra creates groups", "members, duplicates dropped"],
)
def test_build_group(values: dict[str, Any], members: list[str], expected: dict[str, Any]) -> None:
    built = build_group(values, members=members)
    assert built == expected
    Group.model_validate(built, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
