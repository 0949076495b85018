"""Resources back into path-keyed values, list pages in either spelling, and error bodies."""

from __future__ import annotations

from typing import Any

import pytest

from provisioning.target import (
    ENTERPRISE_USER_SCHEMA,
    USER_SCHEMA,
    AttributePath,
    ScimDialect,
    build_user,
    member_ids,
    parse_error,
    parse_list,
    parse_path,
    parse_user,
)

ENT = ENTERPRISE_USER_SCHEMA
WORK = 'emails[type eq "work"].value'
GETGO = "urn:scim:schemas:extension:getgo:1.0"

ROUND_TRIPS: list[tuple[str, dict[str, Any]]] = [
    ("minimal", {"userName": "a@contoso.com"}),
    (
        "entra default mapping",
        {
            "userName": "a@contoso.com",
            "active": False,
            "displayName": "A B",
            "name.givenName": "A",
            "name.familyName": "B",
            WORK: "a@contoso.com",
            "externalId": "a",
            f"{ENT}:department": "IT",
        },
    ),
    (
        "two typed entries",
        {"userName": "a", WORK: "w@contoso.com", 'emails[type eq "home"].value': "h@x.org"},
    ),
]


@pytest.mark.parametrize("values", [c[1] for c in ROUND_TRIPS], ids=[c[0] for c in ROUND_TRIPS])
def test_build_then_parse_gives_the_values_back(values: dict[str, Any]) -> None:
    assert parse_user(build_user(values)) == values


@pytest.mark.parametrize("values", [c[1] for c in ROUND_TRIPS], ids=[c[0] for c in ROUND_TRIPS])
def test_parse_with_paths_reports_absent_attributes_as_none(values: dict[str, Any]) -> None:
    wanted = [*values, "title", f"{ENT}:costCenter", 'phoneNumbers[type eq "mobile"].value']
    parsed = parse_user(build_user(values), paths=wanted)
    assert list(parsed) == wanted
    assert parsed == {**dict.fromkeys(wanted), **values}


def test_parse_ignores_case_of_names_and_of_the_type_filter() -> None:
    """RFC 7643 §2.1: attribute names are case-insensitive; `type` is caseExact=false."""
    resource = {
        "Schemas": [USER_SCHEMA],
        "USERNAME": "a@contoso.com",
        "Name": {"GivenName": "A"},
        "Emails": [{"Type": "Work", "Value": "a@contoso.com"}],
        ENT.upper(): {"Department": "IT"},
    }
    paths = ["userName", "name.givenName", WORK, f"{ENT}:department"]
    assert parse_user(resource, paths=paths) == {
        "userName": "a@contoso.com",
        "name.givenName": "A",
        WORK: "a@contoso.com",
        f"{ENT}:department": "IT",
    }


def test_parse_a_goto_answer() -> None:
    """What the GoTo simulator returns: server-owned parts are skipped, extensions keep their URN."""
    resource = {
        "schemas": [USER_SCHEMA, GETGO],
        "id": "123",
        "meta": {"resourceType": "User", "version": 'W/"3"'},
        "userName": "a@contoso.com",
        "active": True,
        "name": {"givenName": "A", "familyName": "B"},
        "emails": [{"type": "work", "value": "a@contoso.com", "primary": True}],
        GETGO: {"accounts": [{"value": "4201337", "display": "Contoso"}]},
    }
    assert parse_user(resource) == {
        "userName": "a@contoso.com",
        "active": True,
        "name.givenName": "A",
        "name.familyName": "B",
        WORK: "a@contoso.com",
        f"{GETGO}:accounts": [{"value": "4201337", "display": "Contoso"}],
    }


@pytest.mark.parametrize(
    ("text", "expected", "canonical"),
    [
        ("userName", AttributePath("userName"), "userName"),
        ("name.givenName", AttributePath("name", sub_attribute="givenName"), "name.givenName"),
        (WORK, AttributePath("emails", None, "type", "work", "value"), WORK),
        ('emails[type EQ "work"]', AttributePath("emails", None, "type", "work"), 'emails[type eq "work"]'),
        (f"{ENT}:department", AttributePath("department", ENT), f"{ENT}:department"),
        (
            f"{ENT}:manager.value",
            AttributePath("manager", ENT, sub_attribute="value"),
            f"{ENT}:manager.value",
        ),
        (f"{USER_SCHEMA}:userName", AttributePath("userName"), "userName"),
        (
            'members[value eq "a\\"b"]',
            AttributePath("members", None, "value", 'a"b'),
            'members[value eq "a\\"b"]',
        ),
        ("emails[primary eq true].value", AttributePath("emails", None, "primary", True, "value"), None),
    ],
)
def test_parse_path(text: str, expected: AttributePath, canonical: str | None) -> None:
    parsed = parse_path(text)
    assert parsed == expected
    assert str(parsed) == (canonical or text)


def test_member_ids() -> None:
    group = {
        "displayName": "G",
        "members": [{"value": "u1", "display": "A"}, {"Value": "u2"}, {"display": "?"}],
    }
    assert member_ids(group) == ["u1", "u2"]
    assert member_ids({"displayName": "G"}) == []


LIST_BODY_2 = {"totalResults": 2, "startIndex": 1, "itemsPerPage": 2, "Resources": [{"id": "1"}, {"id": "2"}]}
LIST_BODY_1X = {"totalResults": "2", "resources": [{"id": "1"}, {"id": "2"}]}


@pytest.mark.parametrize(
    ("body", "dialect", "ids", "total"),
    [
        (LIST_BODY_2, ScimDialect.rfc7644(), ["1", "2"], 2),
        (LIST_BODY_2, ScimDialect.goto(), ["1", "2"], 2),
        (LIST_BODY_1X, ScimDialect.goto(), ["1", "2"], 2),
        ({"totalResults": 0}, ScimDialect.rfc7644(), [], 0),  # RFC 7644 lets an empty page omit Resources
    ],
    ids=["SCIM 2.0", "goto reads 2.0", "goto reads 1.x", "empty without Resources"],
)
def test_parse_list(body: dict[str, Any], dialect: ScimDialect, ids: list[str], total: int) -> None:
    page = parse_list(body, dialect=dialect)
    assert [r["id"] for r in page.resources] == ids
    assert page.total_results == total


@pytest.mark.parametrize(
    "body",
    [LIST_BODY_1X, [], {"totalResults": 1, "Resources": "x"}, {"Resources": [1]}],
    ids=["1.x key for a strict dialect", "not an object", "not a list", "not objects"],
)
def test_parse_list_refuses_what_it_cannot_read(body: Any) -> None:
    with pytest.raises(ValueError):
        parse_list(body, dialect=ScimDialect.rfc7644())


@pytest.mark.parametrize(
    ("body", "scim_type", "detail"),
    [
        (
            b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409",'
            b'"scimType":"uniqueness","detail":"taken"}',
            "uniqueness",
            "taken",
        ),
        (b'{"status": 400, "detail": "bad domain"}', None, "bad domain"),
        (b'{"error": "invalid_token", "error_description": "expired"}', None, "expired"),
        (b'{"message": "Gateway Timeout"}', None, "Gateway Timeout"),
        (b"<html>502 Bad Gateway</html>", None, "<html>502 Bad Gateway</html>"),
        (b"", None, None),
        (None, None, None),
    ],
    ids=["SCIM error", "status as a number", "OAuth-style", "gateway JSON", "HTML", "empty", "none"],
)
def test_parse_error(body: bytes | None, scim_type: str | None, detail: str | None) -> None:
    info = parse_error(body)
    assert (info.scim_type, info.detail) == (scim_type, detail)


def test_parse_error_keeps_details_short() -> None:
    assert len(parse_error(b"x" * 5000).detail or "") == 500
